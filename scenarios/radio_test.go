package scenarios

import (
	"strings"
	"testing"
	"time"
)

// radioScenario is a one-group scenario whose group has the radio block
// given (indented under the group).
func radioScenario(block string) string {
	return "name: r\nduration: 1h\npath: [{name: b, preset: linux-conntrack}]\nclients:\n  - name: c\n    count: 1\n    radio:\n" + block
}

func TestRadioPresetOverridden(t *testing.T) {
	sc, err := Parse("r.yaml", []byte(radioScenario(`      preset: lte
      battery_wh: 15.4
      promotion_w: 1.5
      tail:
        - {name: long-drx, power_w: 1.2}
`)), []string{"clients.c.radio.idle_w=0.01"})
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Config.Groups[0].Radio
	if p == nil || p.BatteryWh != 15.4 || p.PromotionW != 1.5 || p.IdleW != 0.01 || p.Promotion != 260100*time.Microsecond {
		t.Fatalf("radio %+v", p)
	}
	// The overridden phase keeps its duration; the others are the preset's.
	if len(p.Tail) != 3 || p.Tail[2].PowerW != 1.2 || p.Tail[2].Duration != 11456*time.Millisecond || p.Tail[0].PowerW != 1.06 {
		t.Fatalf("tail %+v", p.Tail)
	}
}

func TestRadioOfYourOwn(t *testing.T) {
	sc, err := Parse("r.yaml", []byte(radioScenario(`      promotion_s: 0.5
      promotion_w: 1
      up_uj_per_byte: 3.5
      tail:
        - {name: high, duration_s: 2, power_w: 0.8}
        - {name: low, duration_s: 5, power_w: 0.3}
`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Config.Groups[0].Radio
	if p.Promotion != 500*time.Millisecond || len(p.Tail) != 2 || p.Tail[1].Duration != 5*time.Second || p.UpJPerByte != 3.5e-6 || p.BatteryWh != 11.55 || p.IdleW != 0 {
		t.Fatalf("radio %+v", p)
	}
}

func TestRadioErrorsNameTheirPlace(t *testing.T) {
	for _, tc := range []struct{ block, want string }{
		{"      preset: lt\n", `r.yaml:8:15: clients.c.radio.preset: unknown radio preset (did you mean "lte"?)`},
		{"      preset: lte\n      batery_wh: 3\n", `r.yaml:9:7: clients.c.radio.batery_wh: unknown field (did you mean "battery_wh"?)`},
		{"      preset: lte\n      battery_wh: 0\n", `r.yaml:9:19: clients.c.radio.battery_wh: must be a number > 0 (got 0)`},
		{"      preset: lte\n      promotion_w: -1\n", `r.yaml:9:20: clients.c.radio.promotion_w: must be a number of watts >= 0 (got -1)`},
		{"      preset: umts\n      tail: [{name: dhc, power_w: 1}]\n", `r.yaml:9:14: clients.c.radio.tail.dhc: unknown phase of radio preset umts`},
		{"      preset: wifi\n      tail: [{name: tail, duration_s: 0}]\n", `clients.c.radio.tail.tail.duration_s: must be a number of seconds > 0`},
		{"      promotion_s: 1\n      promotion_w: 1\n      tail: [{name: x, power_w: 1}]\n", `clients.c.radio.tail.x.duration_s: is required`},
		{"      promotion_w: 1\n      tail: []\n", `clients.c.radio.promotion_s: is required without a preset (lte, nr-sa, umts, wifi)`},
		{"      preset: lte\n      promotion_s: x\n", `clients.c.radio.promotion_s: expected a number (got "x")`},
	} {
		_, err := Parse("r.yaml", []byte(radioScenario(tc.block)), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.block, err, tc.want)
		}
	}
}
