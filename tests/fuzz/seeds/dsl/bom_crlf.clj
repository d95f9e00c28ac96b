(asset "SPY")
