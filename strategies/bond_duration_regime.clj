; Bond Duration Regime - trades long-duration Treasuries with leverage
; (TMF/TMV) when an 8/34-day EMA crossover on TLT agrees with a calm bond
; volatility regime, and de-risks to TLT/SHY when bond volatility is high.
; A second sleeve picks the dollar or gold by 20-day return.
; Operators: defsymphony, weight-equal, group, if, >=, <=, >,
; exponential-moving-average-price, stdev-return, cumulative-return,
; weight-specified, asset.
(defsymphony
 "Bond Duration Regime"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(group
    "Duration Trend"
    [(weight-equal
      [(if (>=
            (exponential-moving-average-price "TLT" {:window 8})
            (exponential-moving-average-price "TLT" {:window 34}))
         [(if (<= (stdev-return "TLT" {:window 20}) 18)
            [(asset "TMF" "Direxion Daily 20+ Yr Treasury Bull 3X")]
            [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")])]
         [(if (<= (stdev-return "TLT" {:window 20}) 18)
            [(weight-specified
              0.7 (asset "TMV" "Direxion Daily 20+ Yr Treasury Bear 3X")
              0.3 (asset "SHY" "iShares 1-3 Year Treasury Bond ETF"))]
            [(asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])
   (group
    "Dollar or Gold"
    [(weight-equal
      [(if (> (cumulative-return "UUP" {:window 20}) (cumulative-return "GLD" {:window 20}))
         [(asset "UUP" "Invesco DB US Dollar Index Bullish Fund")]
         [(if (>= (exponential-moving-average-price "GLD" {:window 10}) (exponential-moving-average-price "GLD" {:window 40}))
            [(asset "UGL" "ProShares Ultra Gold")]
            [(asset "GLD" "SPDR Gold Shares")])])])])]))
