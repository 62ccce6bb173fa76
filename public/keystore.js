// Where the page keeps its keys: IndexedDB of this origin (the browser profile's storage for this site). A record is
// { name, key, privateKey, createdAt }: the private half is a non-extractable CryptoKey (the browser stores it, no
// script can read its bytes, not even this page's), the public half its raw bytes in base64url. Clearing the site's
// data deletes them. README "Known agents".

const DB = "agent-chat";
const STORE = "page-keys";

let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => (db.close(), (opening = null)); // another tab upgrades: let it
      resolve(db);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
  });
  opening.catch(() => (opening = null));
  return opening;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The record stored under `id`, or undefined. */
export async function loadKey(id) {
  const db = await open();
  return done(db.transaction(STORE, "readonly").objectStore(STORE).get(id));
}

/**
 * Store `record` under `id` unless one is there already; returns the record that is stored now. Two tabs making a
 * key for one name at once: the first one stored wins and both use it.
 */
export async function addKey(id, record) {
  const db = await open();
  try {
    await done(db.transaction(STORE, "readwrite").objectStore(STORE).add(record, id));
    return record;
  } catch (e) {
    if (e && e.name === "ConstraintError") return loadKey(id);
    throw e;
  }
}
