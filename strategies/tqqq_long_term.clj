; TQQQ Long Term (100-day trend) - holds TQQQ while SPY trades above its
; 100-day moving average, rotates into UVXY when TQQQ/SPXL are overbought,
; buys leveraged dips when deeply oversold, and in a downtrend picks the
; stronger of SQQQ and short-term bonds by RSI.
; Operators: defsymphony, weight-equal, if, >, <, current-price,
; moving-average-price, rsi, filter, select-top, asset.
(defsymphony
 "TQQQ Long Term (100d)"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (> (current-price "SPY") (moving-average-price "SPY" {:window 100}))
     [(weight-equal
       [(if (> (rsi "TQQQ" {:window 10}) 79)
          [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
          [(if (> (rsi "SPXL" {:window 10}) 80)
             [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
             [(asset "TQQQ" "ProShares UltraPro QQQ")])])])]
     [(weight-equal
       [(if (< (rsi "TQQQ" {:window 10}) 31)
          [(asset "TECL" "Direxion Daily Technology Bull 3x Shares")]
          [(if (< (rsi "SPY" {:window 10}) 30)
             [(asset "UPRO" "ProShares UltraPro S&P500")]
             [(if (< (current-price "TQQQ") (moving-average-price "TQQQ" {:window 20}))
                [(weight-equal
                  [(filter
                    (rsi {:window 10})
                    (select-top 1)
                    [(asset "SQQQ" "ProShares UltraPro Short QQQ")
                     (asset "BSV" "Vanguard Short-Term Bond ETF")])])]
                [(if (> (rsi "SQQQ" {:window 10}) 31)
                   [(asset "SQQQ" "ProShares UltraPro Short QQQ")]
                   [(asset "TQQQ" "ProShares UltraPro QQQ")])])])])])])]))
