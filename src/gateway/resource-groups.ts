// Resource group and replica calls: request and result shapes (the Node SDK's argument
// names, Milvus's field names), plain data on both sides of a wire.
import type { ResourceGroupConfigInput } from '../catalog/index.js';
import type { CollectionReq, DbScoped, Status } from './requests.js';

export interface LoadOptions {
  /** Replicas to load (0 or absent: 1). A loaded collection is refused another number. */
  replica_number?: number | undefined;
  /** Groups to load the replicas into (absent or empty: the default group). A loaded collection is refused other groups. */
  resource_groups?: string[] | undefined;
}

export interface TransferReplicaReq extends CollectionReq {
  source_resource_group: string;
  target_resource_group: string;
  num_replica: number | string;
}

export interface TransferNodeReq {
  source_resource_group: string;
  target_resource_group: string;
  num_node: number;
}

export interface LoadBalanceReq extends DbScoped {
  collection_name: string;
  src_nodeID: number | string;
  dst_nodeIDs?: Array<number | string> | undefined;
  sealed_segmentIDs?: Array<number | string> | undefined;
}

/** DescribeResourceGroup's answer (milvus.proto ResourceGroup); maps are keyed by collection name. */
export interface ResourceGroupDescription {
  readonly name: string;
  readonly capacity: number;
  readonly num_available_node: number;
  readonly num_loaded_replica: Record<string, number>;
  readonly num_outgoing_node: Record<string, number>;
  readonly num_incoming_node: Record<string, number>;
  readonly config: ReturnType<typeof import('../catalog/index.js').resourceGroupConfigToWire>;
  readonly nodes: readonly number[];
}

/** One replica of a loaded collection (GetReplicas). */
export interface ReplicaDescription {
  readonly resourceGroup: string;
  /** The query nodes serving it (this process's node, in its group or lent from another). */
  readonly nodes: readonly number[];
  /** Nodes it uses that now belong to other groups, by group (num_outbound_node). */
  readonly outbound: Record<string, number>;
}

export interface ResourceGroupCalls {
  createResourceGroup(req: { resource_group: string; config?: ResourceGroupConfigInput | null | undefined }): Promise<Status>;
  dropResourceGroup(req: { resource_group: string }): Promise<Status>;
  updateResourceGroups(req: { resource_groups: Record<string, ResourceGroupConfigInput> }): Promise<Status>;
  listResourceGroups(): Promise<{ status: Status; resource_groups: string[] }>;
  describeResourceGroup(req: { resource_group: string }): Promise<{ status: Status; resource_group: ResourceGroupDescription }>;
  transferNode(req: TransferNodeReq): Promise<Status>;
  transferReplica(req: TransferReplicaReq): Promise<Status>;
  /** The replicas of a loaded collection ([] when it is not loaded). */
  replicasOf(req: CollectionReq): readonly ReplicaDescription[];
  loadBalance(req: LoadBalanceReq): Promise<Status>;
}
