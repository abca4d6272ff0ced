package loadbalance

// DefaultWarmupMs is Dubbo's default warmup: ten minutes.
const DefaultWarmupMs = 10 * 60 * 1000

// WarmupWeight returns the weight of a provider that has been up for uptimeMs
// out of a warmup of warmupMs, ramping linearly towards weight as Dubbo's
// calculateWarmupWeight does: at least 1, at most weight. A negative uptime
// (clock skew between hosts) gives 1; an uptime past the warmup gives weight.
func WarmupWeight(weight uint32, uptimeMs, warmupMs int64) uint32 {
	if weight == 0 {
		return 0
	}
	if warmupMs <= 0 || uptimeMs >= warmupMs {
		return weight
	}
	if uptimeMs <= 0 {
		return 1
	}
	// uptime / (warmup / weight), computed in floating point like Dubbo and
	// truncated.
	w := int64(float64(uptimeMs) / (float64(warmupMs) / float64(weight)))
	if w < 1 {
		return 1
	}
	if w > int64(weight) {
		return weight
	}
	return uint32(w)
}
