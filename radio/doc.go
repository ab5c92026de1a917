// Package radio models the energy a phone's radio spends on a
// connection's packets: a per-client state machine driven by every packet
// the client sends or receives, and the presets of published power
// models (Huang et al., MobiSys 2012; AT&T's ARO profiles; Narayanan et
// al., SIGCOMM 2021).
//
// # What is modelled
//
// A radio is IDLE until a packet comes; it then spends Profile.Promotion
// at PromotionW (the promotion: RRC connection set-up) before it is
// CONNECTED. Packets are instantaneous, so after the last packet (or the
// end of the promotion, if later) the tail phases run in order, each for
// its duration at its power (LTE: continuous reception, short DRX, long
// DRX; UMTS: DCH, then FACH), and the radio falls back to IDLE. A packet
// during the tail restarts the tail with no promotion; a packet during a
// promotion rides it. A phase's power is its time average (a DRX phase's
// on-durations folded into it). Energy is the integral of power over
// time, in joules, spent in promotions and tails; idle power is not
// integrated per client: a caller that needs it takes IdleW times the
// time not active. With UpJPerByte or DownJPerByte, each packet also
// costs its bytes times the coefficient (the transfer energy); both zero
// turns it off.
//
// # The window
//
// A Meter counts only from its window's start on (the end of a run's
// warmup): a promotion or tail straddling the start counts for its part
// after it, and its wakeup only if the promotion started at or after it.
// Finish closes the books at the end of the run: a tail still running
// then counts up to that instant.
//
// # Cost
//
// Meter.Packet is O(1) (a tail of k phases costs O(k) when an interval is
// accounted); energy is accounted lazily, on a client's packets and at
// Finish, never by timers. A client has two radios in a Meter, one fed
// every packet and one every packet but keepalives (so that a caller
// gets what keepalives cost from one run); their states take 32 bytes
// together, so a packet touches one cache line. Nothing here reads the
// clock or draws random numbers: every call takes the instant.
package radio
