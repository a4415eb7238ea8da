// undici, behind a module of our own: DescopeClient imports this lazily, and in the bundled CLI it becomes a chunk
// loaded on the first request (with named exports, which a bundled CommonJS package does not get by itself).
export { Agent, request } from "undici";
