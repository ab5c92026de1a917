package kernel

import (
	"strconv"
	"strings"
)

// newEntry reads one line of `conntrack -E -e NEW`: the server port the
// entry was made for (the original direction's destination port) and the
// external port the box gave it (the reply direction's destination port).
//
//	[NEW] udp      17 1 src=198.18.0.2 dst=198.19.0.2 sport=37118 dport=7001 [UNREPLIED] src=198.19.0.2 dst=198.19.0.1 sport=7001 dport=22809
func newEntry(line string) (server, external int, ok bool) {
	var ports []int
	for _, field := range strings.Fields(line) {
		if v, found := strings.CutPrefix(field, "dport="); found {
			p, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, false
			}
			ports = append(ports, p)
		}
	}
	if len(ports) != 2 {
		return 0, 0, false
	}
	return ports[0], ports[1], true
}

// recreated reads the external ports of a flow's entries, in the order
// conntrack made them: an entry re-created on its predecessor's port is
// a remap, one on another port a rebinding.
func recreated(external []int) (remapped, rebound bool) {
	for i := 1; i < len(external); i++ {
		if external[i] == external[i-1] {
			remapped = true
		} else {
			rebound = true
		}
	}
	return remapped, rebound
}
