module github.com/natsim/natsim

go 1.26.8

require (
	github.com/hashicorp/golang-lru/v2 v2.0.7
	github.com/spf13/pflag v1.0.10
)

require go.yaml.in/yaml/v3 v3.0.6

require gonum.org/v1/gonum v0.17.0
