import type { JsonObject } from "../../cdk/protocol.js";
import type { Stream } from "../../cdk/stream.js";
import { DescopeApiError, type DescopeClient } from "../client.js";
import { mapConcurrentOrdered } from "../concurrency.js";
import { loadSchema } from "../schemas.js";
import { scanUsers, type DescopeUser } from "../user-scan/index.js";

/** Answers to token requests that mean "no token here", not "the sync is broken". */
const NO_TOKEN_STATUSES = new Set([400, 404]);
/** This many "no token" answers before the first token means the project does not store provider tokens. */
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
      const scan = scanUsers(client, {
        path: "/v2/mgmt/user/search",
        filter: { withTestUser: true },
        timeField: "createdTime",
        from: { timeS: 0, seenUserIds: [] },
        pageSize: settings.pageSize,
        concurrency: settings.concurrency,
        requestIntervalMs: settings.searchIntervalMs,
        log: context.log,
        report: context.report,
      });
      // Calls run pipelined across user pages and come back in order; the "turned off" verdict is reached after
      // the first few answers, not a page of them.
      const requests = async function* (): AsyncGenerator<TokenRequest> {
        for await (const page of scan) yield* page.users.flatMap(tokenRequests);
      };
      for await (const answer of mapConcurrentOrdered(requests(), settings.concurrency, (request) => fetchToken(client, request, settings.includeTokenValues))) {
        if (answer === undefined) noToken++;
        else {
          tokensFound++;
          yield answer;
        }
        if (tokensFound === 0 && noToken >= UNAVAILABLE_AFTER) {
          context.log.warn(
            `Descope returned no provider token for the first ${noToken} user/provider pairs: provider token management ` +
              `("Manage tokens from provider" in the social login settings) looks turned off for this project, so provider_tokens is empty.`,
          );
          return;
        }
      }
      if (noToken > 0) context.log.info(`provider_tokens: ${noToken} user/provider pairs had no stored token.`);
      context.report(`${(tokensFound + noToken).toLocaleString("en-US")} user/provider pairs asked, every one answered (${noToken.toLocaleString("en-US")} without a stored token)`);
    },
  };
}

function tokenRequests(user: DescopeUser): TokenRequest[] {
  const loginId = user.loginIds?.[0] ?? user.userId;
  return Object.entries(user.OAuth ?? {})
    .filter(([, linked]) => linked === true)
    .map(([provider]) => ({ user, loginId, provider }));
}

async function fetchToken(client: DescopeClient, request: TokenRequest, includeValues: boolean): Promise<JsonObject | undefined> {
  let token: JsonObject;
  try {
    token = (await client.get(
      "/v1/mgmt/user/provider/token",
      { loginId: request.loginId, provider: request.provider, withRefreshToken: String(includeValues), forceRefresh: "false" },
      "management",
    )) as JsonObject;
  } catch (error) {
    if (error instanceof DescopeApiError && NO_TOKEN_STATUSES.has(error.status)) return undefined;
    throw error;
  }
  const { accessToken, refreshToken, ...rest } = token;
  return {
    ...rest,
    userId: request.user.userId,
    loginId: request.loginId,
    provider: typeof token.provider === "string" ? token.provider : request.provider,
    ...(includeValues ? { accessToken: accessToken ?? null, refreshToken: refreshToken ?? null } : {}),
  };
}
