// Command provider is a gRPC server that registers itself in ZooKeeper as a
// zkmesh record, /zkmesh/services/<name>/<instance>, an ephemeral node that
// lives as long as its session.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

func main() {
	zkAddr := flag.String("zk", "127.0.0.1:2181", "ZooKeeper (zkmesh) address")
	name := flag.String("name", "echo", "service name")
	instance := flag.String("instance", "", "instance id (default: host:port)")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve gRPC on")
	weight := flag.Uint("weight", 100, "load-balancing weight")
	zone := flag.String("zone", "", "zone")
	flag.Parse()

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	addr := lis.Addr().(*net.TCPAddr)
	id := *instance
	if id == "" {
		id = strings.ReplaceAll(addr.String(), ":", "-")
	}

	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-backend", id))
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() {
		if err := srv.Serve(lis); err != nil {
			log.Fatal(err)
		}
	}()

	conn, _, err := zk.Connect([]string{*zkAddr}, 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	record, _ := json.Marshal(map[string]any{
		"address": addr.IP.String(),
		"port":    addr.Port,
		"weight":  *weight,
		"zone":    *zone,
		"policy":  "ring_hash",
	})
	node := path.Join("/zkmesh/services", *name, id)
	if err := register(conn, node, record); err != nil {
		log.Fatal(err)
	}
	log.Printf("serving on %s, registered %s", addr, node)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	conn.Close() // the session ends: the ephemeral node, and the traffic, go
	srv.GracefulStop()
}

// register creates the parents (persistent) and the ephemeral record.
func register(conn *zk.Conn, node string, data []byte) error {
	parts := strings.Split(strings.TrimPrefix(path.Dir(node), "/"), "/")
	p := ""
	for _, part := range parts {
		p += "/" + part
		if _, err := conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	_, err := conn.Create(node, data, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	return err
}
