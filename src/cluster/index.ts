// Cluster mode's store implementations and the launchers of their servers (README.md).
export {};
