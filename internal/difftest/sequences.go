package difftest

// Sequence is one scripted scenario. Run drives an Env; everything it does
// happens under the znode "/"+Name, and it must close its sessions before it
// returns (CloseAll is called after it anyway).
type Sequence struct {
	Name string
	Run  func(e *Env)
}

// Sequences returns every scenario, in the order they run. Between them
// they send every client opcode of ZooKeeper 3.8 but reconfig and SASL.
func Sequences() []Sequence {
	return []Sequence{
		// restart kills and restarts the server, so it runs first: Apache
		// ZooKeeper 3.8.0 cannot replay a log holding the check txn (type
		// 13) that crud's successful stand-alone check writes ("Unsupported
		// Txn with type=%d13"), so it would not come back after crud.
		{"restart", seqRestart},
		{"crud", seqCRUD},
		{"modes", seqModes},
		{"multi", seqMulti},
		{"acl", seqACL},
		{"watch", seqWatch},
		{"persist", seqPersistent},
		{"setwatches", seqSetWatches},
		{"session", seqSession},
		{"ttl", seqContainerTTL},
		{"gozk", seqGoZK},
	}
}
