package sim

import (
	"reflect"
	"slices"
	"strings"
)

// Metric names one number of a GroupResult or a BoxResult by its JSON
// path, as Flatten produces it ("breaks.total",
// "detection_latency_s.p99"). Code outside sim reads results through
// these names, never through strings typed again: a renamed JSON field
// then fails the test that ties the names to the structs, not a chart.
type Metric string

// The numbers of a GroupResult, in field order (GroupMetrics lists them).
const (
	GroupClients                         Metric = "clients"
	GroupClientHours                     Metric = "client_hours"
	GroupBreaksTotal                     Metric = "breaks.total"
	GroupBreaksIdleTimeout               Metric = "breaks.idle_timeout"
	GroupBreaksLRUEviction               Metric = "breaks.lru_eviction"
	GroupBreaksEarlyDrop                 Metric = "breaks.early_drop"
	GroupBreaksResetOnExpire             Metric = "breaks.reset_on_expire"
	GroupBreaksPer1000ClientHours        Metric = "breaks_per_1000_client_hours"
	GroupRemaps                          Metric = "remaps"
	GroupRebindings                      Metric = "rebindings"
	GroupOrphanedAtEnd                   Metric = "orphaned_at_end"
	GroupRefusedOpens                    Metric = "refused_opens"
	GroupReconnects                      Metric = "reconnects"
	GroupSpuriousDisconnects             Metric = "spurious_disconnects"
	GroupDetectionP50                    Metric = "detection_latency_s.p50"
	GroupDetectionP90                    Metric = "detection_latency_s.p90"
	GroupDetectionP99                    Metric = "detection_latency_s.p99"
	GroupDetectionMax                    Metric = "detection_latency_s.max"
	GroupDetectionUndetected             Metric = "detection_latency_s.undetected"
	GroupLostDown                        Metric = "lost_down"
	GroupLostUp                          Metric = "lost_up"
	GroupHeldAtEnd                       Metric = "held_at_end"
	GroupPushDelayP50                    Metric = "push_delay_s.p50"
	GroupPushDelayP99                    Metric = "push_delay_s.p99"
	GroupPushDelayMax                    Metric = "push_delay_s.max"
	GroupSentDown                        Metric = "sent_down"
	GroupSentUp                          Metric = "sent_up"
	GroupDowntimeFraction                Metric = "downtime_fraction"
	GroupKeepalivePackets                Metric = "overhead.keepalive_packets"
	GroupKeepaliveBytes                  Metric = "overhead.keepalive_bytes"
	GroupReconnectPackets                Metric = "overhead.reconnect_packets"
	GroupReconnectBytes                  Metric = "overhead.reconnect_bytes"
	GroupKeepaliveBytesPerClientHour     Metric = "overhead.keepalive_bytes_per_client_hour"
	GroupOverheadBytesPerClientHour      Metric = "overhead.overhead_bytes_per_client_hour"
	GroupKeepaliveRateBytesPerClientHour Metric = "overhead.keepalive_rate_bytes_per_client_hour"
	GroupCostBytesPerClientHour          Metric = "overhead.cost_bytes_per_client_hour"
	// The radio's, 0 for a group without one (docs/radio.md).
	GroupRadioWakeups              Metric = "radio.wakeups_per_client_hour"
	GroupRadioActiveS              Metric = "radio.radio_active_s_per_client_hour"
	GroupRadioEnergyJ              Metric = "radio.energy_j_per_client_hour"
	GroupRadioIdleEnergyJ          Metric = "radio.idle_energy_j_per_client_hour"
	GroupRadioKeepaliveEnergyJ     Metric = "radio.keepalive_energy_j_per_client_hour"
	GroupRadioBatteryPercentPerDay Metric = "radio.battery_percent_per_day"
	// The adaptive heartbeats', for a group with them (docs/adaptive.md).
	GroupAdaptiveIntervalP10       Metric = "adaptive.keepalive_interval_s.p10"
	GroupAdaptiveIntervalP50       Metric = "adaptive.keepalive_interval_s.p50"
	GroupAdaptiveIntervalP90       Metric = "adaptive.keepalive_interval_s.p90"
	GroupAdaptiveIntervalMean      Metric = "adaptive.keepalive_interval_s.mean"
	GroupAdaptiveFailures          Metric = "adaptive.failures"
	GroupAdaptiveFailureReconnects Metric = "adaptive.failure_reconnects"
	// The server's ping enforcement, for a group whose server has one.
	GroupServerGoAways Metric = "server.goaways"
	// A request-driven group's (docs/pools.md).
	GroupRequests                 Metric = "requests"
	GroupRequestsOKReused         Metric = "requests_ok_reused"
	GroupRequestsOKNew            Metric = "requests_ok_new"
	GroupRequestsRetriedOK        Metric = "requests_retried_ok"
	GroupRequestsFailed           Metric = "requests_failed.total"
	GroupFailedResetOnReuse       Metric = "requests_failed.reset_on_reuse"
	GroupFailedClosedOnReuse      Metric = "requests_failed.closed_on_reuse"
	GroupFailedLB502              Metric = "requests_failed.lb_502"
	GroupFailedTimedOutHung       Metric = "requests_failed.timed_out_hung"
	GroupFailedRefusedOpen        Metric = "requests_failed.refused_open"
	GroupFailedPerMillionRequests Metric = "failed_per_million_requests"
	GroupHungP50                  Metric = "hung_s.p50"
	GroupHungP99                  Metric = "hung_s.p99"
	GroupHungMax                  Metric = "hung_s.max"
	GroupAddedLatencyP50          Metric = "added_latency_s.p50"
	GroupAddedLatencyP99          Metric = "added_latency_s.p99"
	GroupNewConnsPer1000Requests  Metric = "new_connections_per_1000_requests"
	GroupPoolDiscarded            Metric = "pool_discarded"
	GroupPoolMeanIdle             Metric = "pool_mean_idle"
)

// The numbers of a BoxResult, in field order (BoxMetrics lists them).
const (
	BoxCapacity           Metric = "capacity"
	BoxTCPEstablishedS    Metric = "timeouts_s.tcp_established"
	BoxTCPTransitoryS     Metric = "timeouts_s.tcp_transitory"
	BoxUDPS               Metric = "timeouts_s.udp"
	BoxUDPStreamS         Metric = "timeouts_s.udp_stream"
	BoxInstances          Metric = "instances"
	BoxMeanOccupancy      Metric = "mean_occupancy"
	BoxMaxOccupancy       Metric = "max_occupancy"
	BoxInserts            Metric = "inserts"
	BoxEvictions          Metric = "evictions"
	BoxExpiries           Metric = "expiries"
	BoxEarlyDrops         Metric = "early_drops"
	BoxRefusedOpens       Metric = "refused_opens"
	BoxRefusedPackets     Metric = "refused_packets"
	BoxRemaps             Metric = "remaps"
	BoxBreaks             Metric = "breaks"
	BoxStartOccupancy     Metric = "start_occupancy"
	BoxEndOccupancy       Metric = "end_occupancy"
	BoxMeanEntryLifetimeS Metric = "mean_entry_lifetime_s"
)

// GroupMetrics lists every number of a GroupResult in field order: the
// names Flatten gives a GroupResult, exactly.
var GroupMetrics = []Metric{
	GroupClients, GroupClientHours,
	GroupBreaksTotal, GroupBreaksIdleTimeout, GroupBreaksLRUEviction, GroupBreaksEarlyDrop, GroupBreaksResetOnExpire,
	GroupBreaksPer1000ClientHours, GroupRemaps, GroupRebindings, GroupOrphanedAtEnd, GroupRefusedOpens,
	GroupReconnects, GroupSpuriousDisconnects,
	GroupDetectionP50, GroupDetectionP90, GroupDetectionP99, GroupDetectionMax, GroupDetectionUndetected,
	GroupLostDown, GroupLostUp, GroupHeldAtEnd,
	GroupPushDelayP50, GroupPushDelayP99, GroupPushDelayMax,
	GroupSentDown, GroupSentUp, GroupDowntimeFraction,
	GroupKeepalivePackets, GroupKeepaliveBytes, GroupReconnectPackets, GroupReconnectBytes,
	GroupKeepaliveBytesPerClientHour, GroupOverheadBytesPerClientHour,
	GroupKeepaliveRateBytesPerClientHour, GroupCostBytesPerClientHour,
	GroupRadioWakeups, GroupRadioActiveS, GroupRadioEnergyJ, GroupRadioIdleEnergyJ, GroupRadioKeepaliveEnergyJ, GroupRadioBatteryPercentPerDay,
	GroupAdaptiveIntervalP10, GroupAdaptiveIntervalP50, GroupAdaptiveIntervalP90, GroupAdaptiveIntervalMean,
	GroupAdaptiveFailures, GroupAdaptiveFailureReconnects,
	GroupServerGoAways,
	GroupRequests, GroupRequestsOKReused, GroupRequestsOKNew, GroupRequestsRetriedOK,
	GroupRequestsFailed, GroupFailedResetOnReuse, GroupFailedClosedOnReuse, GroupFailedLB502,
	GroupFailedTimedOutHung, GroupFailedRefusedOpen, GroupFailedPerMillionRequests,
	GroupHungP50, GroupHungP99, GroupHungMax, GroupAddedLatencyP50, GroupAddedLatencyP99,
	GroupNewConnsPer1000Requests, GroupPoolDiscarded, GroupPoolMeanIdle,
}

// BoxMetrics lists every number of a BoxResult in field order: the names
// Flatten gives a BoxResult, exactly.
var BoxMetrics = []Metric{
	BoxCapacity, BoxTCPEstablishedS, BoxTCPTransitoryS, BoxUDPS, BoxUDPStreamS, BoxInstances, BoxMeanOccupancy, BoxMaxOccupancy, BoxInserts, BoxEvictions, BoxExpiries, BoxEarlyDrops,
	BoxRefusedOpens, BoxRefusedPackets, BoxRemaps, BoxBreaks, BoxStartOccupancy, BoxEndOccupancy, BoxMeanEntryLifetimeS,
}

// optionalSections are the JSON objects of a GroupResult that only some
// groups have: the radio's, the adaptive heartbeats' and the server's.
var optionalSections = []string{"radio.", "adaptive.", "server."}

// Optional reports whether m is a number that only some groups report
// (the radio's, for groups with one; the adaptive heartbeats'; the
// server's ping enforcement): a result's JSON leaves it out for the
// others, Value gives 0 for them and Has says they lack it.
func (m Metric) Optional() bool {
	return slices.ContainsFunc(optionalSections, func(p string) bool { return strings.HasPrefix(string(m), p) })
}

// Has reports whether the group reports m: every metric that is not
// Optional, and an optional one when the group has its section.
func (g GroupResult) Has(m Metric) bool {
	switch s := string(m); {
	case strings.HasPrefix(s, "radio."):
		return g.Radio != RadioResult{}
	case strings.HasPrefix(s, "adaptive."):
		return g.Adaptive != nil
	case strings.HasPrefix(s, "server."):
		return g.Server != nil
	}
	return true
}

// GroupCIMetrics and BoxCIMetrics list the metrics that have a 95%
// confidence half-width (the fields of CI95 and BoxCI95, whose JSON
// mirrors the result's: the half-width of metric m is at ci95.m). The
// others are counts that grow with the clients and the duration, or
// configuration, and are given as means only.
var (
	GroupCIMetrics = names(Flatten(CI95{}))
	BoxCIMetrics   = names(Flatten(BoxCI95{}))
)

func names(vs []MetricValue) []Metric {
	out := make([]Metric, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// MetricValue is one number of a result and its name.
type MetricValue struct {
	Name  Metric
	Value float64
}

// Flatten lists the numbers of a GroupResult or BoxResult in field order
// (GroupMetrics, BoxMetrics), leaving out confidence intervals and fields
// hidden from JSON. An optional section behind a nil pointer (adaptive,
// server) is listed with zeros, so that every result has every name.
func Flatten(v any) []MetricValue {
	var out []MetricValue
	flatten(reflect.ValueOf(v), "", &out)
	return out
}

func flatten(v reflect.Value, prefix string, out *[]MetricValue) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			*out = append(*out, MetricValue{Name: Metric(prefix + name), Value: f.Float()})
		case reflect.Struct:
			flatten(f, prefix+name+".", out)
		case reflect.Pointer:
			if name == "ci95" || f.Type().Elem().Kind() != reflect.Struct {
				continue
			}
			if f.IsNil() {
				f = reflect.Zero(f.Type().Elem())
			} else {
				f = f.Elem()
			}
			flatten(f, prefix+name+".", out)
		}
	}
}

// Value returns the group's number named m; ok is false when m is not a
// group metric (GroupMetrics).
func (g GroupResult) Value(m Metric) (v float64, ok bool) { return valueOf(g, m) }

// Value returns the middlebox's number named m; ok is false when m is
// not a middlebox metric (BoxMetrics).
func (b BoxResult) Value(m Metric) (v float64, ok bool) { return valueOf(b, m) }

// CI returns the 95% half-width of the group's metric m; ok is false
// when the group has none (one replication) or m has none
// (GroupCIMetrics).
func (g GroupResult) CI(m Metric) (hw float64, ok bool) {
	if g.CI95 == nil {
		return 0, false
	}
	return valueOf(*g.CI95, m)
}

// CI returns the 95% half-width of the middlebox's metric m, as
// GroupResult.CI does (BoxCIMetrics).
func (b BoxResult) CI(m Metric) (hw float64, ok bool) {
	if b.CI95 == nil {
		return 0, false
	}
	return valueOf(*b.CI95, m)
}

func valueOf(v any, m Metric) (float64, bool) {
	for _, x := range Flatten(v) {
		if x.Name == m {
			return x.Value, true
		}
	}
	return 0, false
}
