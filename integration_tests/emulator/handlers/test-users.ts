/** test_users: `POST /v2/mgmt/user/search/test` is user search with `testUsersOnly` forced (docs/descope-api-notes.md §4.3). */
import type { Route } from "../route.js";
import { searchUsers } from "./users.js";

export const testUserRoutes: Route[] = [
  { method: "POST", path: "/v2/mgmt/user/search/test", bucket: "userSearch", handle: (context) => searchUsers(context, true) },
];
