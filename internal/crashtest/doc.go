// Package crashtest kills real zkmesh processes with SIGKILL while clients
// write, restarts them, and checks that every acknowledged write survived
// and nothing that was never requested appeared. It has only tests.
package crashtest
