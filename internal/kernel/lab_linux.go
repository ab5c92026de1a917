package kernel

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Addresses inside the lab, from the benchmarking range of RFC 2544
// (198.18.0.0/15): they exist only inside the lab's namespaces.
const (
	clientAddr = "198.18.0.2"
	natInside  = "198.18.0.1"
	natOutside = "198.19.0.1"
	serverAddr = "198.19.0.2"
)

// Lab is three network namespaces (client, nat, server) joined by two veth
// pairs, with nftables masquerade in nat. Close removes it all.
type Lab struct {
	Client, NAT, Server string   // namespace names
	made                []string // the namespaces this lab created: the only ones Close deletes
	log                 *bytes.Buffer
}

// Namespaces are named natsim-{c,n,s}-PID-N: PID is the process that owns
// them, so that leftovers of a process that was killed (SIGKILL cannot be
// caught) can be told from a live one's and removed (Cleanup).
const nsPrefix = "natsim-"

// LabID is a lab name's suffix for the n-th lab of this process.
func LabID(n int) string { return strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(n) }

// Cleanup removes the namespaces left by natsim processes that are gone
// (killed before they could remove their labs), saying which on w, and
// returns how many it removed. Namespaces of live processes are left.
func Cleanup(w io.Writer) (int, error) {
	entries, err := os.ReadDir("/run/netns")
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		pid, ok := ownerOf(e.Name())
		if !ok || alive(pid) {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", e.Name()).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("kernel: ip netns del %s: %v: %s", e.Name(), err, strings.TrimSpace(string(out))))
			continue
		}
		fmt.Fprintf(w, "natsim: removed namespace %s, left by process %d, which is gone\n", e.Name(), pid)
		removed++
	}
	return removed, errors.Join(errs...)
}

// ownerOf reads the owning PID from a namespace name natsim-X-PID-N.
func ownerOf(name string) (int, bool) {
	parts := strings.Split(name, "-")
	if len(parts) != 4 || parts[0]+"-" != nsPrefix || len(parts[1]) != 1 {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[2])
	if _, errN := strconv.Atoi(parts[3]); err != nil || errN != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// alive reports whether process pid exists and is not a zombie (killed,
// not yet reaped: its namespaces are already orphans).
func alive(pid int) bool {
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// child makes a command die with natsim (a parent's death signal) and
// run in its own process group, so that it is never left behind.
func child(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGKILL, Setpgid: true}
	return cmd
}

// Unprivileged reports whether a user who is not root can build the lab
// in an unprivileged user namespace: unshare(1) must be there and the
// kernel must allow it.
func Unprivileged() bool {
	return exec.Command("unshare", "--user", "--map-root-user", "--net", "--mount", "true").Run() == nil
}

// NeedsUserns reports whether this process must run again in a user
// namespace to build labs: it is not root and has not done so yet.
func NeedsUserns() bool { return os.Geteuid() != 0 && os.Getenv(UsernsEnv) == "" }

// RunInUserns runs natsim (this executable, with args) again as root of a
// new user, network and mount namespace, and returns its exit status.
func RunInUserns(args []string, stdout, stderr io.Writer) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command("unshare", append([]string{"--user", "--map-root-user", "--net", "--mount", "--", exe}, args...)...)
	cmd.Env = append(os.Environ(), UsernsEnv+"=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// prepareUserns gives natsim, as root of its own user and mount
// namespaces, a private /run for named network namespaces; they vanish
// with the process, whatever way it ends.
func prepareUserns() error {
	if os.Getenv(UsernsEnv) == "" {
		return nil
	}
	usernsOnce.Do(func() { usernsErr = unix.Mount("none", "/run", "tmpfs", 0, "") })
	return usernsErr
}

var (
	usernsOnce sync.Once
	usernsErr  error
)

// Missing lists what the lab needs and this machine lacks, with how to
// get it; empty when everything is there.
func Missing() []string {
	var out []string
	if os.Geteuid() != 0 && !Unprivileged() {
		out = append(out, "root or an unprivileged user namespace: network namespaces, veth pairs and conntrack sysctls need CAP_NET_ADMIN "+
			"(run as root, e.g. with sudo, or allow user namespaces: sysctl user.max_user_namespaces=10000, and install util-linux for unshare)")
	}
	for _, tool := range []struct{ cmd, pkg string }{{"ip", "iproute2"}, {"nft", "nftables"}, {"conntrack", "conntrack"}} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			out = append(out, fmt.Sprintf("%s: not found (Debian: apt-get install %s)", tool.cmd, tool.pkg))
		}
	}
	return out
}

// NewLab builds a lab whose names end in id (unique to the run).
func NewLab(id string, box Box) (*Lab, error) {
	if err := prepareUserns(); err != nil {
		return nil, fmt.Errorf("kernel: a private /run in the user namespace: %w", err)
	}
	l := &Lab{Client: nsPrefix + "c-" + id, NAT: nsPrefix + "n-" + id, Server: nsPrefix + "s-" + id, log: new(bytes.Buffer)}
	vc, vn, vm, vs := "vc"+id, "vn"+id, "vm"+id, "vs"+id
	masq := "masquerade"
	if box.FullyRandom {
		masq += " fully-random"
	}
	var forward []string
	if !box.Loose {
		forward = append(forward, "ct state invalid drop")
	}
	if box.Capacity > 0 {
		// ct count, unlike the table limit a namespace cannot set, does
		// not count closing entries.
		forward = append(forward, fmt.Sprintf("meta l4proto tcp ct state new ct count over %d drop", box.Capacity))
	}
	nft := fmt.Sprintf(`table ip natsim {
  chain natsim_post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "%s" %s
  }
  chain natsim_forward {
    type filter hook forward priority filter; policy accept;
    %s
  }
}
`, vm, masq, strings.Join(forward, "\n    "))
	loose := "0"
	if box.Loose {
		loose = "1"
	}
	steps := [][]string{
		{"ip", "netns", "add", l.Client}, {"ip", "netns", "add", l.NAT}, {"ip", "netns", "add", l.Server},
		{"ip", "link", "add", vc, "netns", l.Client, "type", "veth", "peer", "name", vn, "netns", l.NAT},
		{"ip", "link", "add", vm, "netns", l.NAT, "type", "veth", "peer", "name", vs, "netns", l.Server},
		{"ip", "-n", l.Client, "addr", "add", clientAddr + "/24", "dev", vc},
		{"ip", "-n", l.NAT, "addr", "add", natInside + "/24", "dev", vn},
		{"ip", "-n", l.NAT, "addr", "add", natOutside + "/24", "dev", vm},
		{"ip", "-n", l.Server, "addr", "add", serverAddr + "/24", "dev", vs},
		{"ip", "-n", l.Client, "link", "set", "lo", "up"}, {"ip", "-n", l.Client, "link", "set", vc, "up"},
		{"ip", "-n", l.NAT, "link", "set", "lo", "up"}, {"ip", "-n", l.NAT, "link", "set", vn, "up"}, {"ip", "-n", l.NAT, "link", "set", vm, "up"},
		{"ip", "-n", l.Server, "link", "set", "lo", "up"}, {"ip", "-n", l.Server, "link", "set", vs, "up"},
		{"ip", "-n", l.Client, "route", "add", "default", "via", natInside},
		{"ip", "netns", "exec", l.NAT, "sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"ip", "netns", "exec", l.NAT, "nft", "-f", "-"},
		// The conntrack sysctls exist once the masquerade rule has loaded conntrack.
		{"ip", "netns", "exec", l.NAT, "sysctl", "-qw",
			fmt.Sprintf("net.netfilter.nf_conntrack_tcp_timeout_established=%d", box.Established),
			fmt.Sprintf("net.netfilter.nf_conntrack_udp_timeout=%d", box.UDP),
			fmt.Sprintf("net.netfilter.nf_conntrack_udp_timeout_stream=%d", box.UDPStream),
			"net.netfilter.nf_conntrack_tcp_loose=" + loose},
	}
	for _, st := range steps {
		stdin := ""
		if st[len(st)-1] == "-" {
			stdin = nft
		}
		err := l.run(stdin, st...)
		if err != nil && st[1] == "netns" && strings.Contains(err.Error(), "File exists") {
			l.Close()
			return nil, &MissingError{Missing: []string{fmt.Sprintf("namespace %s already exists and is not this run's: it was left alone "+
				"(natsim kernel-check --cleanup removes those of natsim processes that are gone)", st[3])}}
		}
		if err != nil {
			l.Close()
			return nil, err
		}
		if st[1] == "netns" && st[2] == "add" {
			l.made = append(l.made, st[3])
		}
	}
	return l, nil
}

func (l *Lab) run(stdin string, args ...string) error {
	cmd := child(exec.Command(args[0], args[1:]...))
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(l.log, "$ %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		return fmt.Errorf("kernel: %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Conntrack lists the nat namespace's connection table (for the logs).
func (l *Lab) Conntrack() string {
	out, _ := child(exec.Command("ip", "netns", "exec", l.NAT, "conntrack", "-L")).CombinedOutput()
	return string(out)
}

// newEvents lists, by server port, the external port of each entry
// conntrack creates in the nat namespace, while it runs.
type newEvents struct {
	cmd  *exec.Cmd
	done chan map[int][]int
}

// WatchNew starts listing the entries conntrack creates, per server port.
func (l *Lab) WatchNew(ctx context.Context) (*newEvents, error) {
	cmd := child(exec.CommandContext(ctx, "ip", "netns", "exec", l.NAT, "conntrack", "-E", "-e", "NEW"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("kernel: conntrack -E: %w", err)
	}
	w := &newEvents{cmd: cmd, done: make(chan map[int][]int, 1)}
	go func() {
		made := map[int][]int{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if server, external, ok := newEntry(sc.Text()); ok {
				made[server] = append(made[server], external)
			}
		}
		w.done <- made
	}()
	return w, nil
}

// stop ends the watch and returns the external ports by server port.
func (w *newEvents) stop() map[int][]int {
	w.cmd.Process.Signal(os.Interrupt)
	made := <-w.done
	w.cmd.Wait()
	return made
}

// Log is every command the lab ran, with its output.
func (l *Lab) Log() string { return l.log.String() }

// Close deletes the namespaces this lab created; their veth pairs and the
// nft table go with them.
func (l *Lab) Close() {
	for _, ns := range l.made {
		child(exec.Command("ip", "netns", "del", ns)).Run()
	}
	l.made = nil
}

// In runs fn on an OS thread switched into namespace ns: sockets fn
// creates belong to ns for good, whichever thread uses them later.
func In(ns string, fn func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("kernel: setns %s: %w", ns, err)
	}
	ferr := fn()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread is stuck in ns: keep it locked so that it exits with
		// this goroutine rather than serve others.
		return fmt.Errorf("kernel: cannot leave %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return ferr
}
