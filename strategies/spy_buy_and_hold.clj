; SPY Buy and Hold - the smallest useful symphony: 100% SPY on every date.
; Operators: defsymphony, weight-equal, asset.
(defsymphony "SPY Buy and Hold" {:asset-class "EQUITIES" :rebalance-frequency :daily}
  (weight-equal [(asset "SPY" "SPDR S&P 500 ETF Trust")]))
