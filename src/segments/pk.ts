/** A primary key as a map key: Int64 as a number when safe, else its decimal string; VarChar as itself. */
export type PkKey = number | string;
