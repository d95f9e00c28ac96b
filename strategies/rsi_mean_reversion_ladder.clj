; RSI Mean Reversion Ladder - a long if/else ladder of overbought and
; oversold checks across the leveraged universe (the classic "check every
; 3x fund's 10-day RSI first" shape).  If nothing is stretched, it buys the
; group whose own recent holdings are most oversold (group RSI) and pairs it
; with the group that compounded best over the last 15 days.
; Operators: defsymphony, weight-equal, if, >, <, rsi, filter,
; select-bottom, select-top, rsi and cumulative-return as group metrics,
; group, current-price, moving-average-price, asset.
(defsymphony
 "RSI Mean Reversion Ladder"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (> (rsi "TQQQ" {:window 10}) 79)
     [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
     [(if (> (rsi "SPXL" {:window 10}) 80)
        [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
        [(if (> (rsi "TECL" {:window 10}) 79)
           [(asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")]
           [(if (> (rsi "SOXL" {:window 10}) 80)
              [(asset "SOXS" "Direxion Daily Semiconductor Bear 3x")]
              [(if (< (rsi "TQQQ" {:window 10}) 30)
                 [(asset "TQQQ" "ProShares UltraPro QQQ")]
                 [(if (< (rsi "SOXL" {:window 10}) 30)
                    [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
                    [(if (< (rsi "TNA" {:window 10}) 28)
                       [(asset "TNA" "Direxion Daily Small Cap Bull 3x")]
                       [(if (> (rsi "TMF" {:window 10}) 75)
                          [(asset "TMV" "Direxion Daily 20+ Yr Treasury Bear 3X")]
                          [(weight-equal
                            [(filter
                              (rsi {:window 10})
                              (select-bottom 1)
                              [(group
                                "Oversold Nasdaq"
                                [(weight-equal
                                  [(if (> (current-price "QQQ") (moving-average-price "QQQ" {:window 30}))
                                     [(asset "TQQQ" "ProShares UltraPro QQQ")]
                                     [(asset "QQQ" "Invesco QQQ Trust")])])])
                               (group
                                "Oversold Energy"
                                [(weight-equal [(asset "XLE" "Energy Select Sector SPDR")])])
                               (group
                                "Oversold Gold Miners"
                                [(weight-equal [(asset "GDX" "VanEck Gold Miners ETF") (asset "GLD" "SPDR Gold Shares")])])
                               (group
                                "Oversold Emerging"
                                [(weight-equal [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X") (asset "EEM" "iShares MSCI Emerging Markets ETF")])])])
                             (filter
                              (cumulative-return {:window 15})
                              (select-top 1)
                              [(group
                                "Compounder Staples"
                                [(weight-equal [(asset "XLP" "Consumer Staples Select Sector SPDR")])])
                               (group
                                "Compounder Treasuries"
                                [(weight-equal
                                  [(if (< (rsi "TLT" {:window 14}) 50)
                                     [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")]
                                     [(asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])])
                               (group
                                "Compounder Silver"
                                [(weight-equal [(asset "SLV" "iShares Silver Trust")])])])])])])])])])])])])]))
