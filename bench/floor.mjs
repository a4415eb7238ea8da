#!/usr/bin/env node
/**
 * The throughput floor: the least work any connector must do to deliver every user. It fetches user-search pages
 * at the connector's page size, parses each, and prints one JSON line per user, one write per page with
 * backpressure. Nothing else: no envelope, no state, no validation.
 *
 *   node bench/floor.mjs <url> <projectId> <managementKey> <pageSize> anchor|offset
 *
 * `anchor` sends the connector's request sequence (src/descope/user-scan/index.ts, one range at a time): always page 0 from a moving
 * `fromModifiedTime` anchor, sorted by modifiedTime then userId, dropping the anchor second's users it already
 * printed. `offset` is plain page/offset paging, for reference. Bounded: at most MAX_PAGES requests.
 */
import { request } from "undici";

const MAX_PAGES = 100_000;
const [url, projectId, managementKey, pageSizeText, mode] = process.argv.slice(2);
const pageSize = Number(pageSizeText);
if (!url || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url) || !(pageSize > 0) || !["anchor", "offset"].includes(mode)) {
  throw new Error("usage: floor.mjs http://127.0.0.1:<port> <projectId> <managementKey> <pageSize> anchor|offset");
}
const headers = { authorization: `Bearer ${projectId}:${managementKey}`, "content-type": "application/json" };
const sort = [
  { field: "modifiedTime", desc: false },
  { field: "userId", desc: false },
];

async function search(body) {
  const response = await request(`${url}/v2/mgmt/user/search`, { method: "POST", headers, body: JSON.stringify({ ...body, sort, limit: pageSize }) });
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${await response.body.text()}`);
  return JSON.parse(await response.body.text()).users;
}

function print(users) {
  let text = "";
  for (const user of users) text += `${JSON.stringify(user)}\n`;
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once("drain", resolve));
}

let anchorS = 0;
let seenAtAnchor = new Set();
for (let pageIndex = 0; pageIndex < MAX_PAGES; pageIndex++) {
  const users = await search(mode === "offset" ? { page: pageIndex } : { fromModifiedTime: anchorS * 1000, page: 0 });
  const fresh = mode === "offset" ? users : users.filter((user) => !(user.modifiedTime === anchorS && seenAtAnchor.has(user.userId)));
  if (fresh.length > 0) await print(fresh);
  if (users.length < pageSize) break;
  if (mode === "anchor") {
    const lastS = users[users.length - 1].modifiedTime;
    // A full page of one second would need the connector's drain pass; the seeded data has none.
    if (fresh.length === 0) throw new Error(`more than ${pageSize} users share modifiedTime ${lastS}`);
    if (lastS !== anchorS) seenAtAnchor = new Set();
    anchorS = lastS;
    for (const user of users) if (user.modifiedTime === lastS) seenAtAnchor.add(user.userId);
  }
}
