package reactor

// childEnv names the environment variable that makes the test binary run
// a helper process (see runChild) instead of the tests.
const childEnv = "EVMACHINE_REACTOR_TEST_CHILD"

func runChild(name string) int { return 2 }
