/** Which side of a machine a tree or a property belongs to: its inputs or its outputs. */
export type Side = 'in' | 'out';
