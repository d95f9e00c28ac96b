; Sector Momentum Rotation - in an uptrend (SPY above its 60-day average)
; holds the three SPDR sectors with the best 20-day average daily return;
; in a downtrend holds the two least volatile defensive sectors plus bonds.
; Operators: defsymphony, weight-equal, if, >, current-price,
; moving-average-price, filter, select-top, select-bottom,
; moving-average-return, stdev-return, group, asset.
(defsymphony
 "Sector Momentum Rotation"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(if (> (current-price "SPY") (moving-average-price "SPY" {:window 60}))
     [(group
       "Offensive Sectors"
       [(weight-equal
         [(filter
           (moving-average-return {:window 20})
           (select-top 3)
           [(asset "XLK" "Technology Select Sector SPDR")
            (asset "XLF" "Financial Select Sector SPDR")
            (asset "XLE" "Energy Select Sector SPDR")
            (asset "XLV" "Health Care Select Sector SPDR")
            (asset "XLY" "Consumer Discretionary Select Sector SPDR")
            (asset "XLI" "Industrial Select Sector SPDR")
            (asset "XLP" "Consumer Staples Select Sector SPDR")
            (asset "XLU" "Utilities Select Sector SPDR")
            (asset "VNQ" "Vanguard Real Estate ETF")])])])]
     [(group
       "Defensive Sectors"
       [(weight-equal
         [(filter
           (stdev-return {:window 20})
           (select-bottom 2)
           [(asset "XLP" "Consumer Staples Select Sector SPDR")
            (asset "XLU" "Utilities Select Sector SPDR")
            (asset "XLV" "Health Care Select Sector SPDR")])
          (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])])]))
