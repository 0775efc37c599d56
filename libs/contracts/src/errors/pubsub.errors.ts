// Pub/sub errors (spec/errors.md "Pub/sub", all rich): codes, statuses, messages as daprd words
// them, with ErrorInfo (reason DAPR_PUBSUB_*, metadata appID/pubsubName/topic) and ResourceInfo.
import { ApiError, GrpcCode, errorInfo, resourceInfo } from './api-error';

const PUBSUB = 'pubsub';

function meta(appId: string, pubsub?: string, topic?: string): Record<string, string> {
  const m: Record<string, string> = { appID: appId };
  if (pubsub !== undefined) m['pubsubName'] = pubsub;
  if (topic !== undefined) m['topic'] = topic;
  return m;
}

function rich(
  code: string,
  message: string,
  httpStatus: number,
  grpcCode: GrpcCode,
  reason: string,
  appId: string,
  pubsub?: string,
  topic?: string,
  retryable = false,
): ApiError {
  return new ApiError({
    code,
    message,
    httpStatus,
    grpcCode,
    details: pubsub !== undefined && pubsub !== ''
      ? [errorInfo(reason, meta(appId, pubsub, topic)), resourceInfo(PUBSUB, pubsub)]
      : [errorInfo(reason, meta(appId, pubsub, topic))],
    retryable,
  });
}

export const PubSubErrors = {
  notConfigured(appId: string): ApiError {
    return rich('ERR_PUBSUB_NOT_CONFIGURED', `no pubsub is configured`, 400, GrpcCode.FAILED_PRECONDITION, 'DAPR_PUBSUB_NOT_CONFIGURED', appId);
  },
  nameEmpty(appId: string): ApiError {
    return rich('ERR_PUBSUB_EMPTY', 'pubsub name is empty', 404, GrpcCode.INVALID_ARGUMENT, 'DAPR_PUBSUB_NAME_EMPTY', appId);
  },
  notFound(pubsub: string, appId: string): ApiError {
    return rich('ERR_PUBSUB_NOT_FOUND', `pubsub ${pubsub} is not found`, 404, GrpcCode.INVALID_ARGUMENT, 'DAPR_PUBSUB_NOT_FOUND', appId, pubsub);
  },
  /** Bulk publish answers an unknown pubsub with 400 / NotFound (daprd's adapter path). */
  notFoundBulk(pubsub: string, appId: string): ApiError {
    return rich('ERR_PUBSUB_NOT_FOUND', `pubsub ${pubsub} is not found`, 400, GrpcCode.NOT_FOUND, 'DAPR_PUBSUB_NOT_FOUND', appId, pubsub);
  },
  topicEmpty(pubsub: string, appId: string): ApiError {
    return rich('ERR_TOPIC_NAME_EMPTY', `topic is empty in pubsub ${pubsub}`, 404, GrpcCode.INVALID_ARGUMENT, 'DAPR_PUBSUB_TOPIC_NAME_EMPTY', appId, pubsub);
  },
  forbidden(topic: string, pubsub: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_FORBIDDEN',
      `topic ${topic} is not allowed for app id ${appId}`,
      403,
      GrpcCode.PERMISSION_DENIED,
      'DAPR_PUBSUB_FORBIDDEN',
      appId,
      pubsub,
      topic,
    );
  },
  publish(topic: string, pubsub: string, cause: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      `error when publish to topic ${topic} in pubsub ${pubsub}: ${cause}`,
      500,
      GrpcCode.INTERNAL,
      'DAPR_PUBSUB_PUBLISH_MESSAGE',
      appId,
      pubsub,
      topic,
      true,
    );
  },
  /**
   * A subscription the component cannot open (the first next() of PubSubApi.subscribe). daprd has
   * no code of its own for it (it logs "failed to subscribe to topic T: <cause>"), so the code,
   * status and reason stay those of a failed publish; the message says what failed.
   */
  subscribe(topic: string, pubsub: string, cause: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      `error when subscribing to topic ${topic} in pubsub ${pubsub}: ${cause}`,
      500,
      GrpcCode.INTERNAL,
      'DAPR_PUBSUB_PUBLISH_MESSAGE',
      appId,
      pubsub,
      topic,
      true,
    );
  },
  requestMetadata(pubsub: string, cause: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_REQUEST_METADATA',
      `failed deserializing metadata: ${cause}`,
      400,
      GrpcCode.INVALID_ARGUMENT,
      'DAPR_PUBSUB_METADATA_DESERIALIZATION',
      appId,
      pubsub,
    );
  },
  cloudEventCreate(pubsub: string, topic: string, cause: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_CLOUD_EVENTS_SER',
      `cannot create cloudevent: ${cause}`,
      500,
      GrpcCode.INVALID_ARGUMENT,
      'DAPR_PUBSUB_CLOUD_EVENT_CREATION',
      appId,
      pubsub,
      topic,
    );
  },
  /** Envelope marshal errors; bulk bodies that cannot be read; entries without / with duplicate ids. */
  eventsSer(pubsub: string, topic: string, cause: string, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_EVENTS_SER',
      `error when marshalling cloud event envelope for topic ${topic} pubsub ${pubsub}: ${cause}`,
      400,
      GrpcCode.INVALID_ARGUMENT,
      'DAPR_PUBSUB_MARSHAL_EVENTS',
      appId,
      pubsub,
      topic,
    );
  },
  /** A message larger than the runtime accepts (Tessera's limit; daprd leaves it to the broker). */
  tooLarge(pubsub: string, topic: string, bytes: number, limit: number, appId: string): ApiError {
    return rich(
      'ERR_PUBSUB_PUBLISH_MESSAGE',
      `error when publish to topic ${topic} in pubsub ${pubsub}: message of ${bytes} bytes exceeds the limit of ${limit} bytes`,
      500,
      GrpcCode.INTERNAL,
      'DAPR_PUBSUB_PUBLISH_MESSAGE',
      appId,
      pubsub,
      topic,
    );
  },
};
