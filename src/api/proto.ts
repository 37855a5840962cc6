// The Milvus service definition, taken from the official Node SDK's compiled protobuf
// JSON (pinned in package.json), so that client and server share one schema and nothing
// of Milvus's protos is copied into this repository.
import { createRequire } from 'node:module';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const milvusJson = (require('@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus.js') as { default: protobuf.INamespace }).default;

export const serviceName = 'milvus.proto.milvus.MilvusService';

/** Decoding options for requests: int64 as strings, enums as numbers, defaults filled. */
export const loaderOptions: protoLoader.Options = { keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true, bytes: Buffer };

export const packageDefinition = protoLoader.fromJSON(milvusJson, loaderOptions);
export const root = protobuf.Root.fromJSON(milvusJson);

export const types = {
  collectionSchema: root.lookupType('milvus.proto.schema.CollectionSchema'),
  fieldSchema: root.lookupType('milvus.proto.schema.FieldSchema'),
  placeholderGroup: root.lookupType('milvus.proto.common.PlaceholderGroup'),
};

/** The service's methods: name → whether its reply is a bare common.Status. */
export function serviceMethods(): Map<string, { repliesStatus: boolean }> {
  const svc = packageDefinition[serviceName] as unknown as Record<string, { responseType: { type: { name: string } } }>;
  const out = new Map<string, { repliesStatus: boolean }>();
  for (const [name, def] of Object.entries(svc)) out.set(name, { repliesStatus: def.responseType.type.name === 'Status' });
  return out;
}
