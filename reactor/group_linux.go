package reactor

// reusePortBalances: Linux spreads the connections of SO_REUSEPORT
// listeners over them.
const reusePortBalances = true
