/**
 * provider_tokens: `GET /v1/mgmt/user/provider/token?loginId&provider&withRefreshToken&forceRefresh`
 * (docs/descope-api-notes.md §4.6). A flat token object; `refreshToken` only with `withRefreshToken=true`.
 * `forceRefresh=true` makes Descope fetch a new token from the provider: the emulator does the same (the token
 * changes) and the request log keeps the query, so a test can prove the connector never asks for it.
 */
import { DescopeError, ErrorCode, missingArgument, notFound } from "../descope-error.js";
import type { Route } from "../route.js";

export const providerTokenRoutes: Route[] = [
  {
    method: "GET",
    path: "/v1/mgmt/user/provider/token",
    bucket: "management",
    handle({ request, store, options }) {
      if (!options.providerTokenManagement) {
        // The real status and code for "token management disabled" are undocumented (docs/descope-api-notes.md §4.6); 400 is a guess.
        throw new DescopeError(400, ErrorCode.invalidRequest, "Provider token management is disabled for this project");
      }
      const { loginId, provider, withRefreshToken, forceRefresh } = request.query;
      if (!loginId) throw missingArgument("loginId");
      if (!provider) throw missingArgument("provider");
      const user = store.findUser(loginId);
      if (!user) throw notFound(ErrorCode.userNotFound, "User not found", `no user with login id ${loginId}`);
      if (forceRefresh === "true") store.refreshProviderToken(user, provider);
      const token = store.providerToken(user, provider);
      if (!token) throw notFound(ErrorCode.invalidArguments, "Provider token not found", `no ${provider} token for this user`);
      const { userId: _userId, refreshToken, ...wire } = token;
      return { body: withRefreshToken === "true" ? { ...wire, refreshToken } : wire };
    },
  },
];
