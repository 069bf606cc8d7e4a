/**
 * ApiVersions (key 18), v0-4.
 *
 * Behavior: lists exactly the APIs that have a handler in this directory, with the version
 * ranges those handlers declare (the same list the router uses when it answers an unsupported
 * ApiVersions version with UNSUPPORTED_VERSION in the v0 format).
 *
 * Version notes:
 * - v1 adds throttleTimeMs (always 0: no quotas).
 * - v3 is flexible and carries clientSoftwareName/clientSoftwareVersion. As in Kafka, both must
 *   match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? or the answer is INVALID_REQUEST with no
 *   API list. supportedFeatures / finalizedFeatures stay empty (epoch -1): we do not advertise
 *   features (metadata.version, transaction.version, group.version) we do not implement.
 * - The response header is always v0, even for v3+ (the router handles that).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import { defineHandler } from '../handler.js';
import { supportedApiVersions } from '../request-router.js';

const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  api: ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const version = ctx.header.apiVersion;
    const response = ApiVersions.response.empty(version);
    if (version >= 3 && !(SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareName) && SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareVersion))) {
      response.errorCode = ErrorCode.INVALID_REQUEST;
      return response;
    }
    response.apiKeys = supportedApiVersions(ctx.broker.handlers);
    response.finalizedFeaturesEpoch = -1;
    return response;
  },
});
