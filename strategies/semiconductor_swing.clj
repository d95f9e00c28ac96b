; Semiconductor Swing - trades the 3x semiconductor pair SOXL/SOXS on the
; SOXX index.  Deep 20-day drawdowns are either bought (oversold RSI) or
; sheltered in the smallest-drawdown safe asset; otherwise a price-volatility
; expansion on SMH decides between momentum (SOXL) and the inverse (SOXS).
; Operators: defsymphony, weight-equal, if, >, <, >=, max-drawdown, rsi,
; stdev-price, current-price, moving-average-price, filter, select-bottom,
; asset.
(defsymphony
 "Semiconductor Swing"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (> (max-drawdown "SOXX" {:window 20}) 15)
     [(if (< (rsi "SOXL" {:window 10}) 25)
        [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
        [(weight-equal
          [(filter
            (max-drawdown {:window 10})
            (select-bottom 1)
            [(asset "SOXS" "Direxion Daily Semiconductor Bear 3x")
             (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
             (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])]
     [(if (>= (stdev-price "SMH" {:window 10}) (stdev-price "SMH" {:window 50}))
        [(if (> (current-price "SOXX") (moving-average-price "SOXX" {:window 20}))
           [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
           [(asset "SOXS" "Direxion Daily Semiconductor Bear 3x")])]
        [(if (> (rsi "SOXX" {:window 14}) 70)
           [(asset "SMH" "VanEck Semiconductor ETF")]
           [(weight-equal [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x") (asset "SOXX" "iShares Semiconductor ETF")])])])])]))
