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
 *   API list. Features (tagged, v3+): supportedFeatures holds transaction.version 0-2 only (the
 *   others Kafka lists — metadata.version, kraft.version, group.version, ... — are not
 *   implemented); finalizedFeatures holds transaction.version at the broker's
 *   `transaction.version` level when it is above 0 (a level-0 feature is absent, as in KRaft);
 *   finalizedFeaturesEpoch is the metadata image's offset, as KRaft's is, so a client (the
 *   Java client keeps the features of the highest epoch it saw) takes a level in from the
 *   next metadata change on. The Java client 4.x runs Transaction V2 when the level is 2.
 * - The response header is always v0, even for v3+ (the router handles that).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import { defineHandler } from '../handler.js';
import { supportedApiVersions } from '../request-router.js';

/** Kafka's TransactionVersion.FEATURE_NAME and its highest level (TV_2). */
export const TRANSACTION_VERSION_FEATURE = 'transaction.version';
const MAX_TRANSACTION_VERSION = 2;

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
    response.supportedFeatures = [{ name: TRANSACTION_VERSION_FEATURE, minVersion: 0, maxVersion: MAX_TRANSACTION_VERSION }];
    const level = ctx.broker.config.getInt('transaction.version');
    response.finalizedFeatures = level > 0 ? [{ name: TRANSACTION_VERSION_FEATURE, maxVersionLevel: level, minVersionLevel: level }] : [];
    response.finalizedFeaturesEpoch = ctx.broker.topics.image.offset;
    return response;
  },
});
