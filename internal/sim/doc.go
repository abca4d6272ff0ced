// Package sim runs whole zab ensembles deterministically: simulated network,
// disk and clock, every fault drawn from one seed, and ZAB's invariants
// checked after every step.
//
// sim owns the simulated world only. It must never read the real clock,
// use a global random source, open sockets or touch the disk; the same seed
// must always replay the same run. It imports zab and nothing else of ours:
// its state machine (KV) is its own, with txns that are opaque bytes to zab.
//
// # The world
//
// Time is counted in units, ten to a nominal tick; each member ticks on its
// own period (tick skew). Messages travel with a delay, in order on each
// link unless a fault reorders them; they may be lost, duplicated, held
// back for tens of ticks, or cut by partitions (both ways or one way). Each
// member's Disk keeps a durable and a live view: a crash keeps only what
// was synced, plus a random prefix of the unsynced log writes (the rest
// lost, the last one possibly torn) and maybe the unsynced hard state. The
// simulated driver may send a Ready's messages before syncing its writes,
// may let several steps share a Ready, and may crash between write and
// sync, most often right when acks are out and writes are not durable.
//
// # Invariants (Checker)
//
// After every applied txn: integrity (only proposed txns, with their data),
// one committed history of which every member's state is a prefix (count
// and digest), total and primary order (zxids increase; a leader's txns
// commit in order, none skipped), real-time order (a write acked to its
// client commits before any write proposed after that). At every
// established epoch: at most one leader per epoch, and it holds every txn
// ever acked to a client. On the app channel: a sync answer reaches a
// learner only after the commits it covers. Membership: every member that
// applies configurations applies the same sequence of them, each changing
// at most one voter, and a SNAP carries the membership its image holds.
// After faults stop, a new txn must commit within a bounded number of
// ticks.
//
// # Reconfiguration
//
// Most runs also change the membership now and then: a leader (a stale one
// included) proposes promoting an observer, demoting a voter (itself
// included), adding a fresh member as an observer (started at once, with an
// empty disk, knowing the new configuration), or removing a voter or an
// observer; zab refuses what a single change may not do. Configuration
// txns are "cfg:v=1,2;o=3" (EncodeConfig, ConfigOf); the KV applies them
// into its membership, which is what a restarted member boots with. A
// removed member keeps running, crashing and restarting like the others.
//
// # Running
//
//	go test ./internal/sim                                  # 500 seeds, scenarios
//	go test ./internal/sim -run TestSeeds -seeds=100000 -timeout 0
//	go test ./internal/sim -run TestSeeds -seeds=30000 -seedfrom=20000   # another range
//	go test ./internal/sim -run TestSeeds -seed=N -v        # replay one seed with its trace
//	go test ./internal/sim -run TestScenarios -rewrite      # regenerate testdata/*.txt
//
// # Scenario scripts
//
// testdata/*.txt hold cases: '#' comment lines, one command, "----", the
// expected output (the trace of what happened, then the command's report)
// and a blank line. Commands:
//
//	cluster voters=N observers=M   start a fresh cluster
//	run ticks=N                    advance time
//	stable                         run until a leader is established and all are synced
//	propose [n=K] [at=ID]          client writes at the leader (or at ID)
//	partition 1,2 | 3,4            cut every link between the groups
//	block from=A to=B              cut one direction of one link
//	heal                           restore every link
//	crash id=N [keep=K] [keephs]   crash, keeping K unsynced log writes (and the hard state)
//	restart id=N                   boot from the durable disk
//	stall id=N [on=TYPE]           the disk stops syncing (now, or when TYPE arrives)
//	resume id=N                    the disk syncs again
//	drop|hold [from=A] [to=B] [types=T,..] [after=T]   discard or hold matching messages
//	release                        clear filters, deliver held messages
//	trace types=T,..|off           print sends of these message types
//	compact id=N                   snapshot the state machine, drop the log it covers
//	reconfig voters=A,B observers=C [at=ID]   propose a configuration (a new id starts a member)
//	status | members | log [id=N] | check    print members, memberships, logs, history length
package sim
