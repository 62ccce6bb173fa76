// serve --redis could not reach Redis at start (serve exits 1 with this one line). Apart from connect.ts so that the
// CLI can recognise it without loading the Redis client.
export class StoreUnreachable extends Error {}
