; EMA Trend Crossover - classic fast/slow exponential moving average
; crossovers on QQQ and SPY decide between leveraged growth and a
; low-volatility bond ladder; inside the bullish branch the least volatile
; growth ETF by 15-day price standard deviation is preferred.
; Operators: defsymphony, weight-equal, if, >, >=, <,
; exponential-moving-average-price, filter, select-bottom, stdev-price,
; stdev-return, asset.
(defsymphony
 "EMA Trend Crossover"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (> (exponential-moving-average-price "QQQ" {:window 12}) (exponential-moving-average-price "QQQ" {:window 26}))
     [(if (>= (exponential-moving-average-price "SPY" {:window 20}) (exponential-moving-average-price "SPY" {:window 50}))
        [(weight-equal
          [(asset "TQQQ" "ProShares UltraPro QQQ")
           (filter
            (stdev-price {:window 15})
            (select-bottom 1)
            [(asset "QLD" "ProShares Ultra QQQ")
             (asset "XLK" "Technology Select Sector SPDR")
             (asset "SPY" "SPDR S&P 500 ETF Trust")])])]
        [(asset "QQQ" "Invesco QQQ Trust")])]
     [(if (< (stdev-return "QQQ" {:window 10}) 25)
        [(weight-equal [(asset "IEF" "iShares 7-10 Year Treasury Bond ETF") (asset "BSV" "Vanguard Short-Term Bond ETF")])]
        [(weight-equal [(asset "PSQ" "ProShares Short QQQ") (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])]))
