; Leveraged Group Rotation - five self-contained leveraged trend strategies
; (Nasdaq, S&P 500, technology, small caps, semiconductors), each a named
; group with its own if/else logic.  Every day the two groups whose own
; simulated holdings had the best 10-day average return are held (group
; scoring re-runs each group's decision tree over the past weeks).
; Operators: defsymphony, weight-equal, filter, select-top,
; moving-average-return (group metric), group, if, >, <, current-price,
; moving-average-price, rsi, asset.
(defsymphony
 "Leveraged Group Rotation"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(filter
    (moving-average-return {:window 10})
    (select-top 2)
    [(group
      "Nasdaq 3x Trend"
      [(weight-equal
        [(if (> (current-price "QQQ") (moving-average-price "QQQ" {:window 50}))
           [(if (> (rsi "TQQQ" {:window 10}) 80)
              [(asset "QQQ" "Invesco QQQ Trust")]
              [(asset "TQQQ" "ProShares UltraPro QQQ")])]
           [(if (< (rsi "QQQ" {:window 10}) 30)
              [(asset "TQQQ" "ProShares UltraPro QQQ")]
              [(asset "SQQQ" "ProShares UltraPro Short QQQ")])])])])
     (group
      "S&P 3x Trend"
      [(weight-equal
        [(if (> (current-price "SPY") (moving-average-price "SPY" {:window 50}))
           [(if (> (rsi "UPRO" {:window 10}) 80)
              [(asset "SPY" "SPDR S&P 500 ETF Trust")]
              [(asset "UPRO" "ProShares UltraPro S&P500")])]
           [(if (< (rsi "SPY" {:window 10}) 30)
              [(asset "SPXL" "Direxion Daily S&P 500 Bull 3X")]
              [(asset "SPXU" "ProShares UltraPro Short S&P500")])])])])
     (group
      "Technology 3x Trend"
      [(weight-equal
        [(if (> (current-price "XLK") (moving-average-price "XLK" {:window 50}))
           [(if (> (rsi "TECL" {:window 10}) 80)
              [(asset "XLK" "Technology Select Sector SPDR")]
              [(asset "TECL" "Direxion Daily Technology Bull 3x")])]
           [(if (< (rsi "XLK" {:window 10}) 30)
              [(asset "TECL" "Direxion Daily Technology Bull 3x")]
              [(asset "TECS" "Direxion Daily Technology Bear 3x")])])])])
     (group
      "Small Cap 3x Trend"
      [(weight-equal
        [(if (> (current-price "IWM") (moving-average-price "IWM" {:window 50}))
           [(if (> (rsi "TNA" {:window 10}) 80)
              [(asset "IWM" "iShares Russell 2000 ETF")]
              [(asset "TNA" "Direxion Daily Small Cap Bull 3x")])]
           [(if (< (rsi "IWM" {:window 10}) 30)
              [(asset "TNA" "Direxion Daily Small Cap Bull 3x")]
              [(asset "TZA" "Direxion Daily Small Cap Bear 3x")])])])])
     (group
      "Semiconductor 3x Trend"
      [(weight-equal
        [(if (> (current-price "SOXX") (moving-average-price "SOXX" {:window 50}))
           [(if (> (rsi "SOXL" {:window 10}) 80)
              [(asset "SOXX" "iShares Semiconductor ETF")]
              [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")])]
           [(if (< (rsi "SOXX" {:window 10}) 30)
              [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
              [(asset "SOXS" "Direxion Daily Semiconductor Bear 3x")])])])])])
   ]))
