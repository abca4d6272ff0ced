// Command consumer dials xds:///<name> through the zkmesh sidecar's ADS
// server and reports which provider instance served each RPC.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and balancers
)

func main() {
	xdsAddr := flag.String("xds", "127.0.0.1:18000", "zkmesh ADS address")
	name := flag.String("name", "echo", "service to call")
	n := flag.Int("n", 100, "number of RPCs")
	flag.Parse()

	if os.Getenv("GRPC_XDS_BOOTSTRAP") == "" && os.Getenv("GRPC_XDS_BOOTSTRAP_CONFIG") == "" {
		host, _ := os.Hostname()
		os.Setenv("GRPC_XDS_BOOTSTRAP_CONFIG", fmt.Sprintf(`{
  "xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
  "node": {"id": %q}
}`, *xdsAddr, "consumer-"+host))
	}

	cc, err := grpc.NewClient("xds:///"+*name, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)

	served := map[string]int{}
	for i := 0; i < *n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var md metadata.MD
		_, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md), grpc.WaitForReady(true))
		cancel()
		if err != nil {
			log.Printf("rpc %d: %v", i, err)
			continue
		}
		if b := md.Get("x-backend"); len(b) == 1 {
			served[b[0]]++
		}
	}
	ids := make([]string, 0, len(served))
	for id := range served {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Print("served by:")
	for _, id := range ids {
		fmt.Printf(" %s=%d", id, served[id])
	}
	fmt.Println()
}
