; Volatility PPO Hedge - uses the percentage price oscillator of SPY against
; its signal line to decide between short volatility (SVXY) and long
; volatility (VIXM/UVXY).  When momentum is negative the volatility product
; with the strongest fast PPO is chosen, always alongside cash (BIL).
; Operators: defsymphony, weight-equal, if, >, <,
; percentage-price-oscillator, percentage-price-oscillator-signal,
; weight-specified, filter, select-top, rsi, asset.
(defsymphony
 "Volatility PPO Hedge"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (>
        (percentage-price-oscillator "SPY" {:short-window 12 :long-window 26})
        (percentage-price-oscillator-signal "SPY" {:short-window 12 :long-window 26 :smooth-window 9}))
     [(if (< (percentage-price-oscillator "UVXY" {:short-window 5 :long-window 20}) 0)
        [(weight-specified
          0.7 (asset "SPY" "SPDR S&P 500 ETF Trust")
          0.3 (asset "SVXY" "ProShares Short VIX Short-Term Futures ETF"))]
        [(weight-specified
          0.8 (asset "SPY" "SPDR S&P 500 ETF Trust")
          0.2 (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
     [(if (> (rsi "UVXY" {:window 10}) 75)
        [(weight-specified
          0.5 (asset "SVXY" "ProShares Short VIX Short-Term Futures ETF")
          0.5 (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))]
        [(weight-equal
          [(filter
            (percentage-price-oscillator {:short-window 5 :long-window 20})
            (select-top 1)
            [(asset "VIXM" "ProShares VIX Mid-Term Futures ETF")
             (asset "UVXY" "ProShares Ultra VIX Short-Term Futures ETF")
             (asset "GLD" "SPDR Gold Shares")])
           (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])]))
