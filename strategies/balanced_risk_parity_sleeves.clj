; Balanced Risk-Parity Sleeves - a 50/35/15 equity/bond/gold split where
; each sleeve is weighted by inverse volatility.  The bond sleeve shortens
; duration when TLT is below its 50-day moving average.
; Operators: defsymphony, weight-specified, group, weight-inverse-volatility,
; if, <, current-price, moving-average-price, weight-equal, asset.
(defsymphony
 "Balanced Risk-Parity Sleeves"
 {:asset-class "EQUITIES" :rebalance-frequency :daily :rebalance-threshold 0.05}
 (weight-specified
  0.5
  (group
   "Equity Sleeve"
   [(weight-inverse-volatility
     20
     [(asset "SPY" "SPDR S&P 500 ETF Trust")
      (asset "QQQ" "Invesco QQQ Trust")
      (asset "IWM" "iShares Russell 2000 ETF")
      (asset "EFA" "iShares MSCI EAFE ETF")
      (asset "EEM" "iShares MSCI Emerging Markets ETF")])])
  0.35
  (group
   "Bond Sleeve"
   [(weight-equal
     [(if (< (current-price "TLT") (moving-average-price "TLT" {:window 50}))
        [(weight-inverse-volatility
          30
          [(asset "BSV" "Vanguard Short-Term Bond ETF")
           (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")
           (asset "AGG" "iShares Core US Aggregate Bond ETF")])]
        [(weight-inverse-volatility
          30
          [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")
           (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")
           (asset "BND" "Vanguard Total Bond Market ETF")])])])])
  0.15
  (group "Gold Sleeve" [(weight-equal [(asset "GLD" "SPDR Gold Shares")])])))
