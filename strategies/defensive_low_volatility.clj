; Defensive Low Volatility - a core of the two least volatile (30-day
; return stdev) defensive ETFs plus the two with the shallowest 60-day
; drawdown, and a satellite weighted by inverse volatility.  Everything is
; chosen with select-bottom, so the portfolio leans to calm assets.
; Operators: defsymphony, weight-specified, group, weight-equal, filter,
; select-bottom, stdev-return, max-drawdown, weight-inverse-volatility,
; asset.
(defsymphony
 "Defensive Low Volatility"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-specified
  0.6
  (group
   "Low Volatility Core"
   [(weight-equal
     [(filter
       (stdev-return {:window 30})
       (select-bottom 2)
       [(asset "XLP" "Consumer Staples Select Sector SPDR")
        (asset "XLU" "Utilities Select Sector SPDR")
        (asset "XLV" "Health Care Select Sector SPDR")
        (asset "AGG" "iShares Core US Aggregate Bond ETF")
        (asset "GLD" "SPDR Gold Shares")])
      (filter
       (max-drawdown {:window 60})
       (select-bottom 2)
       [(asset "SPY" "SPDR S&P 500 ETF Trust")
        (asset "EFA" "iShares MSCI EAFE ETF")
        (asset "VNQ" "Vanguard Real Estate ETF")
        (asset "DBC" "Invesco DB Commodity Index Tracking Fund")
        (asset "KMLM" "KFA Mount Lucas Managed Futures Index Strategy ETF")])])])
  0.4
  (group
   "Inverse Volatility Satellite"
   [(weight-inverse-volatility
     45
     [(asset "SPY" "SPDR S&P 500 ETF Trust")
      (asset "TLT" "iShares 20+ Year Treasury Bond ETF")
      (asset "GLD" "SPDR Gold Shares")
      (asset "DBC" "Invesco DB Commodity Index Tracking Fund")])])))
