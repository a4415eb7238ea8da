/**
 * Projects that do not use a feature (third-party apps, outbound apps, ReBAC) answer its endpoints with an error
 * instead of an empty list. The real status and text are undocumented; the emulator answers 400 saying the
 * feature is not enabled (`disabledFeatures`), the form the connector treats as "no such data".
 */
import { DescopeError, ErrorCode } from "../descope-error.js";
import type { HandlerContext } from "../route.js";

export type OptionalFeature = "inboundApps" | "outboundApps" | "authz" | "flows" | "sso";

export function requireFeature({ options }: HandlerContext, feature: OptionalFeature): void {
  if (options.disabledFeatures.includes(feature)) {
    throw new DescopeError(400, ErrorCode.invalidRequest, "Request is invalid", `${feature} is not enabled for this project`);
  }
}
