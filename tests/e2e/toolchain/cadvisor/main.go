// Command cadvisor is a MINIMAL MAIN of our own over the library packages of
// github.com/google/cadvisor, standing in for cAdvisor's own command: that lives in the separate
// module github.com/google/cadvisor/cmd, which the Go module proxy does not serve (404 at every
// version). Everything that collects and exposes metrics is cAdvisor's library code at the pinned
// version (manager, container/docker|containerd|crio|systemd|raw, metrics, utils/sysfs); this file
// only wires it as cAdvisor's main does: the same flags for what it keeps, the in-memory store,
// the Prometheus collectors on --prometheus_endpoint and /healthz.
//
// Left out (see README.md): the web UI and REST API (/containers, /docker, /api), external storage
// drivers (--storage_driver), HTTP auth, the Mesos provider, cloud provider detection, profiling.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/cadvisor/cache/memory"
	"github.com/google/cadvisor/container"
	v2 "github.com/google/cadvisor/info/v2"
	"github.com/google/cadvisor/manager"
	"github.com/google/cadvisor/metrics"
	"github.com/google/cadvisor/storage"
	"github.com/google/cadvisor/utils/sysfs"
	"github.com/google/cadvisor/version"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	// The container providers cAdvisor's command registers, but Mesos (part of the cmd module).
	_ "github.com/google/cadvisor/container/containerd/install"
	_ "github.com/google/cadvisor/container/crio/install"
	_ "github.com/google/cadvisor/container/docker/install"
	_ "github.com/google/cadvisor/container/systemd/install"
)

var (
	listenIP                   = flag.String("listen_ip", "", "IP to listen on, defaults to all IPs")
	port                       = flag.Int("port", 8080, "port to listen")
	maxProcs                   = flag.Int("max_procs", 0, "max number of CPUs that can be used simultaneously. Less than 1 for default (number of cores).")
	versionFlag                = flag.Bool("version", false, "print cAdvisor version and exit")
	prometheusEndpoint         = flag.String("prometheus_endpoint", "/metrics", "Endpoint to expose Prometheus metrics on")
	storeContainerLabels       = flag.Bool("store_container_labels", true, "convert container labels and environment variables into labels on prometheus metrics for each container. If flag set to false, then only metrics exported are container name, first alias, and image name")
	whitelistedContainerLabels = flag.String("whitelisted_container_labels", "", "comma separated list of container labels to be converted to labels on prometheus metrics for each container. store_container_labels must be set to false for this to take effect.")
	envMetadataWhiteList       = flag.String("env_metadata_whitelist", "", "a comma-separated list of environment variable keys matched with specified prefix that needs to be collected for containers, only support containerd and docker runtime for now.")
	rawCgroupPrefixWhiteList   = flag.String("raw_cgroup_prefix_whitelist", "", "A comma-separated list of cgroup path prefix that needs to be collected even when -docker_only is specified")
	perfEvents                 = flag.String("perf_events_config", "", "Path to a JSON file containing configuration of perf events to measure. Empty value disabled perf events measuring.")
	resctrlInterval            = flag.Duration("resctrl_interval", 0, "Resctrl mon groups updating interval. Zero value disables updating mon groups.")
	storageDuration            = flag.Duration("storage_duration", 2*time.Minute, "How long to keep data stored (Default: 2min).")

	// cAdvisor's command's defaults: what it leaves out unless --enable_metrics names it.
	ignoreMetrics = container.MetricSet{
		container.MemoryNumaMetrics:              struct{}{},
		container.NetworkTcpUsageMetrics:         struct{}{},
		container.NetworkUdpUsageMetrics:         struct{}{},
		container.NetworkAdvancedTcpUsageMetrics: struct{}{},
		container.ProcessSchedulerMetrics:        struct{}{},
		container.ProcessMetrics:                 struct{}{},
		container.HugetlbUsageMetrics:            struct{}{},
		container.ReferencedMemoryMetrics:        struct{}{},
		container.CPUTopologyMetrics:             struct{}{},
		container.ResctrlMetrics:                 struct{}{},
		container.CPUSetMetrics:                  struct{}{},
	}
	enableMetrics = container.MetricSet{}
)

func init() {
	all := container.AllMetrics.String()
	flag.Var(&ignoreMetrics, "disable_metrics", fmt.Sprintf("comma-separated list of `metrics` to be disabled. Options are %s.", all))
	flag.Var(&enableMetrics, "enable_metrics", fmt.Sprintf("comma-separated list of `metrics` to be enabled. If set, overrides 'disable_metrics'. Options are %s.", all))
}

func main() {
	klog.InitFlags(nil)
	// cAdvisor's default verbosity (its command sets it in init, before klog defines the flag: newer Go
	// panics on that order).
	_ = flag.Set("v", "2")
	defer klog.Flush()
	flag.Parse()
	if *versionFlag {
		fmt.Printf("cAdvisor version %s (%s), minimal main over the library packages\n", version.Info["version"], version.Info["revision"])
		os.Exit(0)
	}
	if *maxProcs > 0 {
		runtime.GOMAXPROCS(*maxProcs)
	}
	included := container.AllMetrics.Difference(ignoreMetrics)
	if len(enableMetrics) > 0 {
		included = enableMetrics
	}
	klog.V(1).Infof("enabled metrics: %s", included.String())

	manager_, err := manager.New(memory.New(*storageDuration, []storage.StorageDriver{}), sysfs.NewRealSysFs(),
		manager.HousekeepingConfigFlags, included, &http.Client{}, strings.Split(*rawCgroupPrefixWhiteList, ","),
		strings.Split(*envMetadataWhiteList, ","), *perfEvents, *resctrlInterval)
	if err != nil {
		klog.Fatalf("Failed to create a manager: %s", err)
	}

	labels := metrics.DefaultContainerLabels
	if !*storeContainerLabels {
		labels = metrics.BaseContainerLabels(strings.Split(*whitelistedContainerLabels, ","))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle(*prometheusEndpoint, prometheusHandler(manager_, labels, included))

	if err := manager_.Start(); err != nil {
		klog.Fatalf("Failed to start manager: %v", err)
	}
	stopOnSignal(manager_)
	klog.V(1).Infof("Starting cAdvisor version: %s-%s on port %d", version.Info["version"], version.Info["revision"], *port)
	klog.Fatal(http.ListenAndServe(fmt.Sprintf("%s:%d", *listenIP, *port), mux))
}

// prometheusHandler serves what cAdvisor's command serves on its Prometheus endpoint: the latest
// sample of every container (recursively from the root), the machine, Go and process collectors.
func prometheusHandler(m manager.Manager, labels metrics.ContainerLabelsFunc, included container.MetricSet) http.Handler {
	goCollector := collectors.NewGoCollector()
	processCollector := collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
	machineCollector := metrics.NewPrometheusMachineCollector(m, included)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		opts := v2.RequestOptions{IdType: v2.TypeName, Count: 1, Recursive: true}
		registry := prometheus.NewRegistry()
		registry.MustRegister(metrics.NewPrometheusCollector(m, labels, included, clock.RealClock{}, opts),
			machineCollector, goCollector, processCollector)
		promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, req)
	})
}

func stopOnSignal(m manager.Manager) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		if err := m.Stop(); err != nil {
			klog.Errorf("Failed to stop container manager: %v", err)
		}
		klog.Infof("Exiting given signal: %v", sig)
		os.Exit(0)
	}()
}
