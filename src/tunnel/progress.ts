// The download's progress line on stderr. On a terminal: one line redrawn in place (at most every 100 ms, and at the
// end). Elsewhere (a log file, an agent's captured output): a plain line at every quarter, so a log stays short.

interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

export function progressPrinter(out: Out, now: () => number = Date.now): (received: number, total: number | undefined) => void {
  let lastDraw = -Infinity;
  let lastQuarter = -1;
  let lastTenMb = -1;
  let finished = false;
  return (received, total) => {
    if (finished) return;
    const done = total !== undefined && received >= total;
    const pct = total ? Math.min(100, Math.floor((received / total) * 100)) : undefined;
    const amount = total ? `${mb(received)} of ${mb(total)} MB (${pct}%)` : `${mb(received)} MB`;
    if (out.isTTY) {
      if (!done && now() - lastDraw < 100) return;
      lastDraw = now();
      out.write(`\r\x1b[2Kcloudflared: downloading ${amount}${done ? "\n" : ""}`);
    } else if (pct !== undefined) {
      const quarter = Math.floor(pct / 25);
      if (quarter === lastQuarter) return;
      lastQuarter = quarter;
      out.write(`cloudflared: downloaded ${amount}\n`);
    } else {
      const tens = Math.floor(received / 10e6);
      if (tens === lastTenMb) return;
      lastTenMb = tens;
      out.write(`cloudflared: downloaded ${amount}\n`);
    }
    finished = done;
  };
}
