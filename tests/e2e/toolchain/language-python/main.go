// pulumi-language-python (stand-in): a small Python language host for the end-to-end suite of
// internet-id-monitoring. It is NOT Pulumi's language host: that module is not served by the Go
// module proxy this project builds from, so this program implements just enough of the
// LanguageRuntime gRPC service for `pulumi preview`, `up`, `destroy`, `stack` and `config` of a
// Python program. See README.md next to this file for what it does and what it leaves out.
//
// Like the real host it runs the program through the `pulumi-language-python-exec` script of
// the Pulumi SDK (copied next to this binary by the build), with the same arguments and
// environment, inside the virtual environment resolved by the SDK's python/toolchain package.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is what `--version` and GetPluginInfo report; the build sets it from component.env.
// The "+standin" build metadata keeps it a valid semver while saying what this binary is.
var version = "0.0.0+standin"

const (
	execScript = "pulumi-language-python-exec"
	// The exec script exits with this code after it has shown the user an error message.
	exitedAfterShowingMessage = 32
)

func main() {
	showVersion := flag.Bool("version", false, "print the version of this stand-in language host and exit")
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint, passed on to the program")
	givenExec := flag.String("use-executor", "", "run this script instead of the "+execScript+" next to the binary")
	// The engine may also pass --logtostderr and -v=N: the logging package registers them.
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(),
			"pulumi-language-python %s: a STAND-IN for Pulumi's Python language host, built for the\n"+
				"internet-id-monitoring end-to-end suite (Run, GetRequiredPackages, About, InstallDependencies;\n"+
				"no code generation, Python plugins, debugger or typechecker).\n\n"+
				"usage: pulumi-language-python [flags] [ENGINE_ADDRESS]\n", version)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	logging.InitLogging(false, 0, false)

	execPath := *givenExec
	if execPath == "" {
		// The real host refuses to start unless the exec script lies next to its binary; so do we.
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
		}
		execPath = filepath.Join(filepath.Dir(self), execScript)
		if _, err := os.Stat(execPath); err != nil {
			cmdutil.Exit(fmt.Errorf("missing executor %s: %w", execPath, err))
		}
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		// Exit when the engine goes away.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	runCtx, runCancel := context.WithCancel(context.Background())
	host := &languageHost{
		exec:          execPath,
		engineAddress: engineAddress,
		tracing:       *tracing,
		cancelCtx:     runCtx,
		cancel:        runCancel,
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type languageHost struct {
	// Every method not defined below answers codes.Unimplemented.
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec          string
	engineAddress string
	tracing       string
	cancelCtx     context.Context // cancelled by the Cancel RPC
	cancel        context.CancelFunc
}

// pythonOptions reads the runtime options of Pulumi.yaml the way the real host does.
func pythonOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	if info == nil {
		return toolchain.PythonOptions{}, errors.New("the request has no program info")
	}
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	raw := info.GetOptions().AsMap()
	if v, ok := raw["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := raw["toolchain"]; ok {
		s, _ := v.(string)
		switch s {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if v, ok := raw["typechecker"]; ok {
		return opts, fmt.Errorf("the typechecker option (%v) is not supported by this stand-in language host", v)
	}
	return opts, nil
}

// resolveToolchain resolves the toolchain and checks its virtual environment exists. Unlike the
// real host, the stand-in never creates or fills a virtual environment on its own.
func resolveToolchain(ctx context.Context, info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts, err := pythonOptions(info)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// GetRequiredPlugins is deprecated; the real host answers Unimplemented too, and the engine then
// uses GetRequiredPackages.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetRequiredPlugins not implemented")
}

// pluginJSONScript prints, for each distribution named on its command line, the path of the
// pulumi-plugin.json inside its top-level package ("" when there is none), as a JSON object.
const pluginJSONScript = `import importlib.metadata as md, importlib.util as iu, json, os, sys
out = {}
for name in sys.argv[1:]:
    path = ""
    try:
        spec = iu.find_spec(md.distribution(name).metadata["Name"].replace("-", "_"))
        for loc in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isfile(os.path.join(str(loc), "pulumi-plugin.json")):
                path = os.path.join(str(loc), "pulumi-plugin.json")
                break
    except Exception:
        pass
    out[name] = path
print(json.dumps(out))`

// GetRequiredPackages reports, like the real host, one resource plugin for every installed
// distribution that has a pulumi-plugin.json with "resource": true, or whose name starts with
// "pulumi-" (version taken from the distribution when the JSON does not say).
func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, err := resolveToolchain(ctx, req.Info)
	if err != nil {
		return nil, err
	}
	dists, err := tc.ListPackages(ctx, true /*transitive*/)
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	if len(dists) > 0 {
		args := []string{"-c", pluginJSONScript}
		for _, d := range dists {
			args = append(args, d.Name)
		}
		cmd, err := tc.Command(ctx, args...)
		if err != nil {
			return nil, err
		}
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("looking for pulumi-plugin.json files: %w", err)
		}
		if err := json.Unmarshal(out, &paths); err != nil {
			return nil, fmt.Errorf("parsing the pulumi-plugin.json paths: %w", err)
		}
	}

	packages := []*pulumirpc.PackageDependency{}
	for _, d := range dists {
		if d.Name == "pulumi-policy" || d.Name == "pulumi-esc-sdk" { // known to have no plugin
			continue
		}
		var pj *plugin.PulumiPluginJSON
		if p := paths[d.Name]; p != "" {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			pj = &plugin.PulumiPluginJSON{}
			if err := json.Unmarshal(data, pj); err != nil {
				return nil, fmt.Errorf("failed to parse pulumi-plugin.json for %s: %w", d.Name, err)
			}
		}
		if pj == nil && !strings.HasPrefix(d.Name, "pulumi-") {
			continue
		}
		if dep := packageDependency(d, pj); dep != nil {
			packages = append(packages, dep)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func packageDependency(d plugin.DependencyInfo, pj *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	dep := &pulumirpc.PackageDependency{Kind: "resource"}
	if pj != nil {
		if !pj.Resource {
			return nil
		}
		dep.Name, dep.Version, dep.Server = pj.Name, pj.Version, pj.Server
		if p := pj.Parameterization; p != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
		}
		if p := pj.ExtensionParameterization; p != nil {
			dep.Extension = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
		}
	}
	if dep.Name == "" {
		dep.Name = strings.TrimPrefix(d.Name, "pulumi-")
	}
	if dep.Version == "" {
		v, ok := pluginVersion(d.Version)
		if !ok {
			logging.V(5).Infof("GetRequiredPackages: no plugin version for %s %s", d.Name, d.Version)
			return nil
		}
		dep.Version = v
	}
	if !strings.HasPrefix(dep.Version, "v") {
		dep.Version = "v" + dep.Version
	}
	return dep
}

var pep440 = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)*)(?:(a|b|rc)([0-9]*))?(\.post([0-9]*))?(\.dev([0-9]*))?$`)

// pluginVersion turns the PEP 440 versions Pulumi publishes (N.N.N, aN, bN, rcN, .postN, .devN)
// into the plugin's semver, as the real host does: 1.2 -> 1.2.0, 1.2.3a4 -> 1.2.3-alpha.4,
// 1.2.3.post4.dev5 -> 1.2.3+post4dev5. Epochs and local versions give no version.
func pluginVersion(v string) (string, bool) {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	segments := strings.Split(m[1], ".")
	for len(segments) < 3 {
		segments = append(segments, "0")
	}
	out := strings.Join(segments, ".")
	switch m[2] {
	case "a":
		out += "-alpha." + m[3]
	case "b":
		out += "-beta." + m[3]
	case "rc":
		out += "-rc." + m[3]
	}
	build := ""
	if m[4] != "" {
		build += "post" + m[5]
	}
	if m[6] != "" {
		build += "dev" + m[7]
	}
	if build != "" {
		out += "+" + build
	}
	return out, true
}

// Run runs the program: the virtual environment's python runs the exec script with the arguments
// and environment the real host gives it.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "attaching a debugger is not supported by this stand-in language host"}, nil
	}
	tc, err := resolveToolchain(ctx, req.Info)
	if err != nil {
		return nil, err
	}

	args := []string{h.exec}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)

	// Stop the program on the Cancel RPC or when the request ends.
	runCtx, runCancel := context.WithCancel(h.cancelCtx)
	defer runCancel()
	context.AfterFunc(ctx, runCancel)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if cfg := req.GetConfig(); cfg != nil {
		data, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(data))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	data, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(data))
	cmd.Env = env
	logging.V(5).Infof("stand-in language host launching: %s", strings.Join(cmd.Args, " "))

	if err := cmd.Run(); err != nil {
		// Python does not flush on abnormal exits; make sure the engine sees what it wrote.
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
			}, nil
		}
		ws, ok := exitErr.Sys().(syscall.WaitStatus)
		switch {
		case !ok || ws.ExitStatus() == 0:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		case ws.ExitStatus() == exitedAfterShowingMessage:
			return &pulumirpc.RunResponse{Bail: true}, nil
		default:
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", ws.ExitStatus()),
			}, nil
		}
	}
	return &pulumirpc.RunResponse{}, nil
}

// About answers `pulumi about`: the python executable, its version and the toolchain's.
func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if opts, err = pythonOptions(req.Info); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
			"languageHost":     "stand-in " + version,
		},
	}, nil
}

// GetProgramDependencies lists the virtual environment's distributions (`pulumi about`).
func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := resolveToolchain(ctx, req.Info)
	if err != nil {
		return nil, err
	}
	dists, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(dists))
	for i, d := range dists {
		deps[i] = &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// InstallDependencies (`pulumi install`) creates the virtual environment and installs
// requirements.txt into it through the toolchain, as the real host does for programs (not plugins).
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	if req.IsPlugin {
		return status.Error(codes.Unimplemented, "installing a plugin's dependencies is not supported by this stand-in")
	}
	opts, err := pythonOptions(req.Info)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if err := tc.InstallDependencies(server.Context(), req.Info.ProgramDirectory, req.UseLanguageVersionTools,
		true /*showOutput*/, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// RuntimeOptionsPrompts asks nothing: `pulumi new` is not supported by the stand-in.
func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
