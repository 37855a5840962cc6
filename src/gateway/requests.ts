// Request shapes of the in-process API. They follow the Milvus Node SDK's argument names
// (collection_name, partition_name(s), output_fields, ...), so code written for the SDK
// ports by changing the constructor.
import type { ConsistencyLevel, FieldInput } from '../catalog/index.js';
import type { ColumnBatch } from './validate.js';

export interface DbScoped {
  db_name?: string;
}

export interface CreateCollectionReq extends DbScoped {
  collection_name: string;
  fields?: FieldInput[];
  schema?: FieldInput[];
  description?: string;
  enable_dynamic_field?: boolean;
  enableDynamicField?: boolean;
  num_partitions?: number;
  shards_num?: number;
  consistency_level?: ConsistencyLevel;
  properties?: Record<string, string | number | boolean>;
  partition_key_field?: string;
  /** Quick setup: a collection with an id and a vector of this dimension. */
  dimension?: number;
  primary_field_name?: string;
  id_type?: 'Int64' | 'VarChar';
  vector_field_name?: string;
  auto_id?: boolean;
  max_length?: number;
}

export interface CollectionReq extends DbScoped {
  collection_name: string;
}

export interface PartitionReq extends CollectionReq {
  partition_name: string;
}

export interface InsertReq extends CollectionReq {
  data?: Array<Record<string, unknown>>;
  fields_data?: Array<Record<string, unknown>>;
  /** Column form: field name → values. */
  columns?: Record<string, unknown[]>;
  /** Columns as the wire decoded them (api/grpc), validated as columns: no row objects. */
  columnar?: ColumnBatch;
  partition_name?: string;
  /** Upsert only: fields a row leaves out keep the stored row's values (Milvus 2.6 merge mode). */
  partial_update?: boolean;
}

/** Values of `{name}` placeholders in a filter (the SDK calls them exprValues). */
export interface FilterParams {
  exprValues?: Record<string, unknown>;
  expr_params?: Record<string, unknown>;
}

export interface DeleteReq extends CollectionReq, FilterParams {
  ids?: Array<string | number | bigint>;
  filter?: string;
  expr?: string;
  partition_name?: string;
}

export interface ReadReq extends CollectionReq {
  partition_names?: string[];
  /**
   * The timezone Timestamptz values are read in (results, and ISO literals without an
   * offset in the filter): an IANA name; the collection's or database's `timezone`
   * property, else UTC, when absent. A search also takes it in `params.timezone`.
   */
  timezone?: string;
  consistency_level?: ConsistencyLevel;
  output_fields?: string[];
}

export interface QueryReq extends ReadReq, FilterParams {
  filter?: string;
  expr?: string;
  limit?: number;
  offset?: number;
  ids?: Array<string | number | bigint>;
}

export interface GetReq extends ReadReq {
  ids: Array<string | number | bigint>;
}

export interface SearchReq extends ReadReq, FilterParams {
  /** Search by primary keys (instead of data): each key's stored vector in anns_field is a query vector. */
  ids?: Array<string | number | bigint>;
  data?: unknown;
  vectors?: unknown;
  vector?: unknown;
  anns_field?: string;
  limit?: number;
  topk?: number;
  offset?: number;
  metric_type?: string;
  filter?: string;
  expr?: string;
  /** Search parameters as Milvus names them: ef, nprobe, drop_ratio_search, radius, range_filter. */
  params?: Record<string, unknown>;
  /** Grouping search (also accepted inside params). */
  group_by_field?: string;
  group_size?: number;
  strict_group_size?: boolean;
}

/** The status of every successful call. */
export type Status = Readonly<{ error_code: 'Success'; code: 0; reason: '' }>;

export const status: Status = Object.freeze({ error_code: 'Success', code: 0, reason: '' });
