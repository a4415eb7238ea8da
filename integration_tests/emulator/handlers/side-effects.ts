/**
 * Endpoints the connector must never call: those that change the project, and those that hand out secrets or
 * live tokens (app secrets, outbound app tokens) or whole flow definitions. They exist only so a test can prove the connector never calls them: each is
 * recorded in the request log like any call and answers a minimal plausible body without touching the store.
 */
import { bodyObject, type Reply, type Route } from "../route.js";

function userStub(body: Record<string, unknown>, test: boolean): Reply {
  const loginId = typeof body.loginId === "string" ? body.loginId : "";
  return { body: { user: { userId: "U2sideeffectstub0000000000", loginIds: [loginId], status: "enabled", ...(test ? { test: true } : {}) } } };
}

export const sideEffectRoutes: Route[] = [
  { method: "POST", path: "/v1/mgmt/user/create", bucket: "management", handle: ({ request }) => userStub(bodyObject(request), false) },
  { method: "POST", path: "/v1/mgmt/user/create/test", bucket: "management", handle: ({ request }) => userStub(bodyObject(request), true) },
  { method: "POST", path: "/v1/mgmt/user/update", bucket: "management", handle: ({ request }) => userStub(bodyObject(request), false) },
  { method: "POST", path: "/v1/mgmt/user/delete", bucket: "management", handle: () => ({ body: {} }) },
  { method: "DELETE", path: "/v1/mgmt/user/test/delete/all", bucket: "management", handle: () => ({ body: {} }) },
  {
    method: "POST",
    path: "/v1/mgmt/tests/generate/otp",
    bucket: "management",
    handle: ({ request }) => ({ body: { loginId: bodyObject(request).loginId, code: "123456" } }),
  },
  {
    method: "POST",
    path: "/v1/mgmt/tests/generate/magiclink",
    bucket: "management",
    handle: ({ request }) => ({ body: { loginId: bodyObject(request).loginId, link: "https://emulator.invalid/magiclink?t=stub" } }),
  },
  {
    method: "POST",
    path: "/v1/mgmt/tests/generate/enchantedlink",
    bucket: "management",
    handle: ({ request }) => ({
      body: { loginId: bodyObject(request).loginId, link: "https://emulator.invalid/enchantedlink?t=stub", pendingRef: "stub-pending-ref" },
    }),
  },
  { method: "POST", path: "/v1/mgmt/audit/event", bucket: "management", handle: () => ({ body: {} }) },
  { method: "GET", path: "/v1/mgmt/thirdparty/app/secret", bucket: "management", handle: () => ({ body: { cleartext: "stub-secret" } }) },
  { method: "POST", path: "/v1/mgmt/thirdparty/app/rotate", bucket: "management", handle: () => ({ body: { cleartext: "stub-secret" } }) },
  ...[
    "/v1/mgmt/outbound/app/user/token",
    "/v1/mgmt/outbound/app/user/token/latest",
    "/v1/mgmt/outbound/app/tenant/token",
    "/v1/mgmt/outbound/app/tenant/token/latest",
  ].map((path): Route => ({ method: "POST", path, bucket: "management", handle: () => ({ body: { token: { accessToken: "stub-token" } } }) })),
  {
    method: "POST",
    path: "/v1/mgmt/flow/export",
    bucket: "management",
    handle: () => ({ body: { flow: { id: "stub", name: "stub", dsl: {} }, screens: [] } }),
  },
];

export const SIDE_EFFECT_PATHS: readonly string[] = sideEffectRoutes.map((route) => route.path);
