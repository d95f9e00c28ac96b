; All Weather Risk Parity - four asset-class groups (stocks, long bonds,
; commodities, gold) weighted against each other by inverse volatility
; (grouped mode: each group keeps its internal weights), next to a crash
; sleeve that holds whichever of three hedges had the smallest 20-day drawdown
; of its own simulated holdings.
; Operators: defsymphony, weight-specified, weight-inverse-volatility (over
; groups), group, weight-equal, if, >, <, current-price,
; exponential-moving-average-price, filter, select-top, max-drawdown
; (group metric), asset.
(defsymphony
 "All Weather Risk Parity"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-specified
  0.8
  (weight-inverse-volatility
   25
   [(group
     "AW Stocks"
     [(weight-equal
       [(asset "SPY" "SPDR S&P 500 ETF Trust")
        (asset "EFA" "iShares MSCI EAFE ETF")
        (asset "EEM" "iShares MSCI Emerging Markets ETF")])])
    (group
     "AW Long Bonds"
     [(weight-equal
       [(if (> (current-price "TLT") (exponential-moving-average-price "TLT" {:window 50}))
          [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")]
          [(asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])])
    (group
     "AW Commodities"
     [(weight-equal
       [(asset "DBC" "Invesco DB Commodity Index Tracking Fund")
        (asset "XLE" "Energy Select Sector SPDR")])])
    (group
     "AW Gold"
     [(weight-equal
       [(asset "GLD" "SPDR Gold Shares")
        (asset "GDX" "VanEck Gold Miners ETF")])])])
  0.2
  (group
   "AW Crash Sleeve"
   [(weight-equal
     [(filter
       (max-drawdown {:window 20})
       (select-top 1)
       [(group
         "Hedge Managed Futures"
         [(weight-equal [(asset "KMLM" "KFA Mount Lucas Managed Futures Index Strategy ETF")])])
        (group
         "Hedge Volatility"
         [(weight-equal
           [(if (< (current-price "SPY") (exponential-moving-average-price "SPY" {:window 20}))
              [(asset "VIXM" "ProShares VIX Mid-Term Futures ETF")]
              [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])
        (group
         "Hedge Dollar"
         [(weight-equal [(asset "UUP" "Invesco DB US Dollar Index Bullish Fund")])])])])])))
