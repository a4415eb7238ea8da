/**
 * login_history: `POST /v1/mgmt/user/history` (docs/descope-api-notes.md §4.5). The body is a bare JSON array of user ids and
 * the live API answers with a bare array; the docs' `{"usersAuthHistory": [...]}` wrapper is an option.
 */
import { invalidRequest } from "../descope-error.js";
import type { Route } from "../route.js";

export const loginHistoryRoutes: Route[] = [
  {
    method: "POST",
    path: "/v1/mgmt/user/history",
    bucket: "management",
    handle({ request, store, options }) {
      const userIds = request.body;
      if (!Array.isArray(userIds) || userIds.some((id) => typeof id !== "string")) {
        throw invalidRequest("body must be a JSON array of user ids");
      }
      const history = store.loginsOf(userIds);
      return { body: options.historyWrapper ? { usersAuthHistory: history } : history };
    },
  },
];
