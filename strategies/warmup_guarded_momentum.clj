; Warm-up Guarded Momentum - a 150-day momentum strategy that knows when its
; signal is not ready: cumulative-return returns exactly 0 while fewer than
; 151 bars exist, so (= ... 0) routes young histories to a conservative
; 40/60 mix.  Afterwards it holds QQQ/QLD or bonds depending on which of the
; two 150-day returns is larger, using a 60-day trend filter as confirmation.
; Operators: defsymphony, weight-equal, if, =, >, <=, cumulative-return,
; current-price, moving-average-price, weight-specified, asset.
(defsymphony
 "Warm-up Guarded Momentum"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (= (cumulative-return "SPY" {:window 150}) 0)
     [(weight-specified
       0.4 (asset "SPY" "SPDR S&P 500 ETF Trust")
       0.6 (asset "BND" "Vanguard Total Bond Market ETF"))]
     [(if (> (cumulative-return "QQQ" {:window 150}) (cumulative-return "TLT" {:window 150}))
        [(if (<= (current-price "QQQ") (moving-average-price "QQQ" {:window 60}))
           [(weight-equal [(asset "QQQ" "Invesco QQQ Trust") (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])]
           [(asset "QLD" "ProShares Ultra QQQ")])]
        [(if (> (cumulative-return "TLT" {:window 60}) 0)
           [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")]
           [(asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])]))
