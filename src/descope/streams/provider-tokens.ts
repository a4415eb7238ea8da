import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { EmptyAnswer, type DescopeClient } from "../client.js";
import { mapConcurrentOrdered } from "../../cdk/concurrency.js";
import type { DeclaredException } from "../outcomes.js";
import { loadSchema } from "../schemas.js";
import { scanAllUsers, type DescopeUser } from "../user-scan/index.js";

/**
 * Answers to token requests that are data, not a broken sync (statuses and wording are undocumented, reference
 * §4.6): the project has provider token management turned off, or this user has no token for this provider.
 */
const TOKEN_MANAGEMENT_OFF: DeclaredException = {
  meaning: "provider token management is off",
  statuses: [400, 404],
  description: /token management/i,
};
const NO_TOKEN: DeclaredException = { meaning: "no stored token", statuses: [400, 404] };
/** This many "no token" answers before the first token means token management is off, whatever Descope's wording. */
const UNAVAILABLE_AFTER = 20;

interface TokenRequest {
  user: DescopeUser;
  loginId: string;
  provider: string;
}

/**
 * `provider_tokens`: one record per (user, OAuth provider the user signed in with). There is no list endpoint,
 * so it fans out over users; `forceRefresh` stays false because a refresh is a side effect at the provider.
 * Token values are live credentials and are dropped unless the user opted in. When the project has provider
 * token management turned off every call fails the same way: that is said once and the stream ends empty.
 */
export function providerTokensStream(
  client: DescopeClient,
  settings: { pageSize: number; concurrency: number; searchIntervalMs: number; includeTokenValues: boolean },
): Stream {
  return {
    name: "provider_tokens",
    jsonSchema: loadSchema("provider_tokens"),
    primaryKey: [["userId"], ["provider"]],
    async *read(context) {
      let tokensFound = 0;
      let noToken = 0;
      const scan = scanAllUsers(client, { ...settings, context });
      // Calls run pipelined across user pages and come back in order; the "turned off" verdict is reached after
      // the first few answers, not a page of them.
      const requests = async function* (): AsyncGenerator<TokenRequest> {
        for await (const page of scan) yield* page.users.flatMap(tokenRequests);
      };
      for await (const answer of mapConcurrentOrdered(requests(), settings.concurrency, (request) =>
        fetchToken(client, request, settings.includeTokenValues),
      )) {
        if (answer instanceof EmptyAnswer) noToken++;
        else {
          tokensFound++;
          yield answer;
        }
        const off = answer instanceof EmptyAnswer && answer.exception === TOKEN_MANAGEMENT_OFF;
        if (tokensFound === 0 && (off || noToken >= UNAVAILABLE_AFTER)) {
          context.log.warn(
            `${off ? "Descope answered that" : `Descope returned no provider token for the first ${noToken} user/provider pairs:`} provider token management ` +
              `("Manage tokens from provider" in the social login settings) ${off ? "is" : "looks"} turned off for this project, so provider_tokens is empty.`,
          );
          return;
        }
      }
      if (noToken > 0) context.log.info(`provider_tokens: ${noToken} user/provider pairs had no stored token.`);
      context.report(
        `${(tokensFound + noToken).toLocaleString("en-US")} user/provider pairs asked, every one answered (${noToken.toLocaleString("en-US")} without a stored token)`,
      );
    },
  };
}

function tokenRequests(user: DescopeUser): TokenRequest[] {
  const loginId = user.loginIds?.[0] ?? user.userId;
  return Object.entries(user.OAuth ?? {})
    .filter(([, linked]) => linked === true)
    .map(([provider]) => ({ user, loginId, provider }));
}

async function fetchToken(client: DescopeClient, request: TokenRequest, includeValues: boolean): Promise<JsonObject | EmptyAnswer> {
  const token = (await client.get(
    "/v1/mgmt/user/provider/token",
    { loginId: request.loginId, provider: request.provider, withRefreshToken: String(includeValues), forceRefresh: "false" },
    "management",
    { exceptions: [TOKEN_MANAGEMENT_OFF, NO_TOKEN] },
  )) as JsonObject | EmptyAnswer;
  if (token instanceof EmptyAnswer) return token;
  const { accessToken, refreshToken, ...rest } = token;
  return {
    ...rest,
    userId: request.user.userId,
    loginId: request.loginId,
    provider: typeof token.provider === "string" ? token.provider : request.provider,
    ...(includeValues ? { accessToken: accessToken ?? null, refreshToken: refreshToken ?? null } : {}),
  };
}
