; Hedged Leverage Tournament - the large house strategy.  Three sleeves:
;  * Risk-On Tournament: above SPY's 100-day average, eight leveraged
;    trend groups (Nasdaq, S&P, technology, small caps, semiconductors,
;    emerging markets) compete and the two whose simulated holdings had the
;    best 10-day average return win; below it, seven defensive pair groups
;    compete on lowest 15-day return volatility.
;  * Sector Pyramid: four sector families, each itself a filter over sector
;    groups (group RSI, group max-drawdown, group average return, group
;    return volatility), ranked against each other by 20-day cumulative
;    return - nested filters over groups, so group scoring recurses.
;  * Hedge Sleeve: hedge groups weighted by inverse volatility (grouped mode)
;    plus the crash hedge with the smallest 25-day group drawdown, half in BIL.
; Group scoring metrics used (windows <= 30, so they are computed by
; re-running each group's tree): moving-average-return, cumulative-return,
; stdev-return, max-drawdown, rsi.
; Operators: defsymphony, group, asset, if, >, <, >=, <=, weight-equal,
; weight-specified, weight-inverse-volatility, filter, select-top,
; select-bottom, rsi, current-price, moving-average-price,
; moving-average-return, cumulative-return, exponential-moving-average-price,
; stdev-return, stdev-price, max-drawdown.
(defsymphony
 "Hedged Leverage Tournament"
 {:asset-class "EQUITIES" :rebalance-frequency :daily}
 (weight-equal
  [(group
    "HLT Risk-On Tournament"
    [(weight-equal
      [(if
        (> (current-price "SPY") (moving-average-price "SPY" {:window 100}))
        [(filter
          (moving-average-return {:window 10})
          (select-top 2)
          [(group
            "HLT Nasdaq Trend"
            [(weight-equal
              [(if
                (> (current-price "QQQ") (moving-average-price "QQQ" {:window 50}))
                [(if
                  (> (rsi "TQQQ" {:window 10}) 79)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "QQQ" "Invesco QQQ Trust")])])]
                  [(if
                    (> (cumulative-return "QQQ" {:window 5}) 1)
                    [(asset "TQQQ" "ProShares UltraPro QQQ")]
                    [(weight-equal
                      [(asset "TQQQ" "ProShares UltraPro QQQ") (asset "QQQ" "Invesco QQQ Trust")])])])]
                [(if
                  (< (rsi "TQQQ" {:window 10}) 31)
                  [(asset "TQQQ" "ProShares UltraPro QQQ")]
                  [(if
                    (<
                     (exponential-moving-average-price "QQQ" {:window 10})
                     (exponential-moving-average-price "QQQ" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "SQQQ" "ProShares UltraPro Short QQQ")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "QQQ" "Invesco QQQ Trust")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT S&P UPRO Trend"
            [(weight-equal
              [(if
                (> (current-price "SPY") (moving-average-price "SPY" {:window 60}))
                [(if
                  (> (rsi "UPRO" {:window 10}) 80)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "SPY" "SPDR S&P 500 ETF Trust")])])]
                  [(if
                    (> (cumulative-return "SPY" {:window 5}) 0.8)
                    [(asset "UPRO" "ProShares UltraPro S&P500")]
                    [(weight-equal
                      [(asset "UPRO" "ProShares UltraPro S&P500")
                       (asset "SPY" "SPDR S&P 500 ETF Trust")])])])]
                [(if
                  (< (rsi "UPRO" {:window 10}) 30)
                  [(asset "UPRO" "ProShares UltraPro S&P500")]
                  [(if
                    (<
                     (exponential-moving-average-price "SPY" {:window 10})
                     (exponential-moving-average-price "SPY" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "SPXU" "ProShares UltraPro Short S&P500")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "SPY" "SPDR S&P 500 ETF Trust")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT S&P SPXL Trend"
            [(weight-equal
              [(if
                (> (current-price "SPY") (moving-average-price "SPY" {:window 40}))
                [(if
                  (> (rsi "SPXL" {:window 10}) 78)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "SPY" "SPDR S&P 500 ETF Trust")])])]
                  [(if
                    (> (cumulative-return "SPY" {:window 5}) 0.7)
                    [(asset "SPXL" "Direxion Daily S&P 500 Bull 3X")]
                    [(weight-equal
                      [(asset "SPXL" "Direxion Daily S&P 500 Bull 3X")
                       (asset "SPY" "SPDR S&P 500 ETF Trust")])])])]
                [(if
                  (< (rsi "SPXL" {:window 10}) 29)
                  [(asset "SPXL" "Direxion Daily S&P 500 Bull 3X")]
                  [(if
                    (<
                     (exponential-moving-average-price "SPY" {:window 10})
                     (exponential-moving-average-price "SPY" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "SH" "ProShares Short S&P500")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "SPY" "SPDR S&P 500 ETF Trust")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT Technology Trend"
            [(weight-equal
              [(if
                (> (current-price "XLK") (moving-average-price "XLK" {:window 50}))
                [(if
                  (> (rsi "TECL" {:window 10}) 79)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "XLK" "Technology Select Sector SPDR")])])]
                  [(if
                    (> (cumulative-return "XLK" {:window 5}) 1)
                    [(asset "TECL" "Direxion Daily Technology Bull 3x")]
                    [(weight-equal
                      [(asset "TECL" "Direxion Daily Technology Bull 3x")
                       (asset "XLK" "Technology Select Sector SPDR")])])])]
                [(if
                  (< (rsi "TECL" {:window 10}) 30)
                  [(asset "TECL" "Direxion Daily Technology Bull 3x")]
                  [(if
                    (<
                     (exponential-moving-average-price "XLK" {:window 10})
                     (exponential-moving-average-price "XLK" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "TECS" "Direxion Daily Technology Bear 3x")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "XLK" "Technology Select Sector SPDR")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT Small Cap Trend"
            [(weight-equal
              [(if
                (> (current-price "IWM") (moving-average-price "IWM" {:window 60}))
                [(if
                  (> (rsi "TNA" {:window 10}) 78)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "IWM" "iShares Russell 2000 ETF")])])]
                  [(if
                    (> (cumulative-return "IWM" {:window 5}) 1.2)
                    [(asset "TNA" "Direxion Daily Small Cap Bull 3x")]
                    [(weight-equal
                      [(asset "TNA" "Direxion Daily Small Cap Bull 3x")
                       (asset "IWM" "iShares Russell 2000 ETF")])])])]
                [(if
                  (< (rsi "TNA" {:window 10}) 28)
                  [(asset "TNA" "Direxion Daily Small Cap Bull 3x")]
                  [(if
                    (<
                     (exponential-moving-average-price "IWM" {:window 10})
                     (exponential-moving-average-price "IWM" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "TZA" "Direxion Daily Small Cap Bear 3x")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "IWM" "iShares Russell 2000 ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT Semiconductor Trend"
            [(weight-equal
              [(if
                (> (current-price "SOXX") (moving-average-price "SOXX" {:window 40}))
                [(if
                  (> (rsi "SOXL" {:window 10}) 80)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "SOXX" "iShares Semiconductor ETF")])])]
                  [(if
                    (> (cumulative-return "SOXX" {:window 5}) 1.5)
                    [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
                    [(weight-equal
                      [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")
                       (asset "SOXX" "iShares Semiconductor ETF")])])])]
                [(if
                  (< (rsi "SOXL" {:window 10}) 27)
                  [(asset "SOXL" "Direxion Daily Semiconductor Bull 3x")]
                  [(if
                    (<
                     (exponential-moving-average-price "SOXX" {:window 10})
                     (exponential-moving-average-price "SOXX" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "SOXS" "Direxion Daily Semiconductor Bear 3x")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "SOXX" "iShares Semiconductor ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT Nasdaq 2x Trend"
            [(weight-equal
              [(if
                (> (current-price "QQQ") (moving-average-price "QQQ" {:window 70}))
                [(if
                  (> (rsi "QLD" {:window 10}) 76)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "QQQ" "Invesco QQQ Trust")])])]
                  [(if
                    (> (cumulative-return "QQQ" {:window 5}) 0.6)
                    [(asset "QLD" "ProShares Ultra QQQ")]
                    [(weight-equal
                      [(asset "QLD" "ProShares Ultra QQQ") (asset "QQQ" "Invesco QQQ Trust")])])])]
                [(if
                  (< (rsi "QLD" {:window 10}) 32)
                  [(asset "QLD" "ProShares Ultra QQQ")]
                  [(if
                    (<
                     (exponential-moving-average-price "QQQ" {:window 10})
                     (exponential-moving-average-price "QQQ" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "PSQ" "ProShares Short QQQ")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "QQQ" "Invesco QQQ Trust")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])
           (group
            "HLT Emerging Markets Trend"
            [(weight-equal
              [(if
                (> (current-price "EEM") (moving-average-price "EEM" {:window 50}))
                [(if
                  (> (rsi "EDC" {:window 10}) 77)
                  [(weight-equal
                    [(filter
                      (stdev-return {:window 10})
                      (select-bottom 1)
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                       (asset "EEM" "iShares MSCI Emerging Markets ETF")])])]
                  [(if
                    (> (cumulative-return "EEM" {:window 5}) 0.9)
                    [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X")]
                    [(weight-equal
                      [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X")
                       (asset "EEM" "iShares MSCI Emerging Markets ETF")])])])]
                [(if
                  (< (rsi "EDC" {:window 10}) 30)
                  [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X")]
                  [(if
                    (<
                     (exponential-moving-average-price "EEM" {:window 10})
                     (exponential-moving-average-price "EEM" {:window 30}))
                    [(weight-equal
                      [(filter
                        (rsi {:window 10})
                        (select-top 1)
                        [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")
                         (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")
                         (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")])])]
                    [(weight-inverse-volatility
                      20
                      [(asset "EEM" "iShares MSCI Emerging Markets ETF")
                       (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])])])])])])])]
        [(filter
          (stdev-return {:window 15})
          (select-bottom 2)
          [(group
            "HLT Bonds vs Bills"
            [(weight-equal
              [(if
                (<= (stdev-return "IEF" {:window 20}) (stdev-return "TLT" {:window 20}))
                [(if
                  (>= (moving-average-return "IEF" {:window 20}) 0)
                  [(asset "IEF" "iShares 7-10 Year Treasury Bond ETF")]
                  [(weight-specified
                    0.5
                    (asset "IEF" "iShares 7-10 Year Treasury Bond ETF")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "TLT" {:window 20}) 6)
                  [(weight-equal
                    [(asset "IEF" "iShares 7-10 Year Treasury Bond ETF")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")])])])])
           (group
            "HLT Gold vs Silver"
            [(weight-equal
              [(if
                (<= (stdev-return "GLD" {:window 15}) (stdev-return "SLV" {:window 15}))
                [(if
                  (>= (moving-average-return "GLD" {:window 15}) 0)
                  [(asset "GLD" "SPDR Gold Shares")]
                  [(weight-specified
                    0.5
                    (asset "GLD" "SPDR Gold Shares")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "SLV" {:window 15}) 6)
                  [(weight-equal
                    [(asset "GLD" "SPDR Gold Shares")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "SLV" "iShares Silver Trust")])])])])
           (group
            "HLT Staples vs Utilities"
            [(weight-equal
              [(if
                (<= (stdev-return "XLP" {:window 20}) (stdev-return "XLU" {:window 20}))
                [(if
                  (>= (moving-average-return "XLP" {:window 20}) 0)
                  [(asset "XLP" "Consumer Staples Select Sector SPDR")]
                  [(weight-specified
                    0.5
                    (asset "XLP" "Consumer Staples Select Sector SPDR")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "XLU" {:window 20}) 6)
                  [(weight-equal
                    [(asset "XLP" "Consumer Staples Select Sector SPDR")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "XLU" "Utilities Select Sector SPDR")])])])])
           (group
            "HLT Health vs Staples"
            [(weight-equal
              [(if
                (<= (stdev-return "XLV" {:window 25}) (stdev-return "XLP" {:window 25}))
                [(if
                  (>= (moving-average-return "XLV" {:window 25}) 0)
                  [(asset "XLV" "Health Care Select Sector SPDR")]
                  [(weight-specified
                    0.5
                    (asset "XLV" "Health Care Select Sector SPDR")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "XLP" {:window 25}) 6)
                  [(weight-equal
                    [(asset "XLV" "Health Care Select Sector SPDR")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "XLP" "Consumer Staples Select Sector SPDR")])])])])
           (group
            "HLT Aggregate vs Dollar"
            [(weight-equal
              [(if
                (<= (stdev-return "AGG" {:window 15}) (stdev-return "UUP" {:window 15}))
                [(if
                  (>= (moving-average-return "AGG" {:window 15}) 0)
                  [(asset "AGG" "iShares Core US Aggregate Bond ETF")]
                  [(weight-specified
                    0.5
                    (asset "AGG" "iShares Core US Aggregate Bond ETF")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "UUP" {:window 15}) 6)
                  [(weight-equal
                    [(asset "AGG" "iShares Core US Aggregate Bond ETF")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "UUP" "Invesco DB US Dollar Index Bullish Fund")])])])])
           (group
            "HLT Short Duration vs Futures"
            [(weight-equal
              [(if
                (<= (stdev-return "BSV" {:window 20}) (stdev-return "KMLM" {:window 20}))
                [(if
                  (>= (moving-average-return "BSV" {:window 20}) 0)
                  [(asset "BSV" "Vanguard Short-Term Bond ETF")]
                  [(weight-specified
                    0.5
                    (asset "BSV" "Vanguard Short-Term Bond ETF")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "KMLM" {:window 20}) 6)
                  [(weight-equal
                    [(asset "BSV" "Vanguard Short-Term Bond ETF")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "KMLM" "KFA Mount Lucas Managed Futures Index Strategy ETF")])])])])
           (group
            "HLT Bonds vs Commodities"
            [(weight-equal
              [(if
                (<= (stdev-return "BND" {:window 25}) (stdev-return "DBC" {:window 25}))
                [(if
                  (>= (moving-average-return "BND" {:window 25}) 0)
                  [(asset "BND" "Vanguard Total Bond Market ETF")]
                  [(weight-specified
                    0.5
                    (asset "BND" "Vanguard Total Bond Market ETF")
                    0.5
                    (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF"))])]
                [(if
                  (> (max-drawdown "DBC" {:window 25}) 6)
                  [(weight-equal
                    [(asset "BND" "Vanguard Total Bond Market ETF")
                     (asset "SHY" "iShares 1-3 Year Treasury Bond ETF")])]
                  [(asset "DBC" "Invesco DB Commodity Index Tracking Fund")])])])])])])])])
   (group
    "HLT Sector Pyramid"
    [(weight-equal
      [(filter
        (cumulative-return {:window 20})
        (select-top 2)
        [(group
          "Pyramid Cyclicals"
          [(weight-equal
            [(filter
              (rsi {:window 10})
              (select-bottom 1)
              [(group
                "Cyclical Financials"
                [(weight-equal
                  [(if
                    (> (current-price "XLF") (moving-average-price "XLF" {:window 30}))
                    [(asset "XLF" "Financial Select Sector SPDR")]
                    [(if
                      (< (rsi "XLF" {:window 10}) 30)
                      [(asset "XLF" "Financial Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Cyclical Industrials"
                [(weight-equal
                  [(if
                    (> (current-price "XLI") (moving-average-price "XLI" {:window 30}))
                    [(asset "XLI" "Industrial Select Sector SPDR")]
                    [(if
                      (< (rsi "XLI" {:window 10}) 30)
                      [(asset "XLI" "Industrial Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Cyclical Discretionary"
                [(weight-equal
                  [(if
                    (> (current-price "XLY") (moving-average-price "XLY" {:window 40}))
                    [(asset "XLY" "Consumer Discretionary Select Sector SPDR")]
                    [(if
                      (< (rsi "XLY" {:window 10}) 30)
                      [(asset "XLY" "Consumer Discretionary Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Cyclical Energy"
                [(weight-equal
                  [(if
                    (> (current-price "XLE") (moving-average-price "XLE" {:window 20}))
                    [(asset "XLE" "Energy Select Sector SPDR")]
                    [(if
                      (< (rsi "XLE" {:window 10}) 30)
                      [(asset "XLE" "Energy Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])])])
         (group
          "Pyramid Defensives"
          [(weight-equal
            [(filter
              (max-drawdown {:window 15})
              (select-top 1)
              [(group
                "Defensive Staples"
                [(weight-equal
                  [(if
                    (> (current-price "XLP") (moving-average-price "XLP" {:window 30}))
                    [(asset "XLP" "Consumer Staples Select Sector SPDR")]
                    [(if
                      (< (rsi "XLP" {:window 10}) 30)
                      [(asset "XLP" "Consumer Staples Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Defensive Utilities"
                [(weight-equal
                  [(if
                    (> (current-price "XLU") (moving-average-price "XLU" {:window 30}))
                    [(asset "XLU" "Utilities Select Sector SPDR")]
                    [(if
                      (< (rsi "XLU" {:window 10}) 30)
                      [(asset "XLU" "Utilities Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Defensive Health Care"
                [(weight-equal
                  [(if
                    (> (current-price "XLV") (moving-average-price "XLV" {:window 40}))
                    [(asset "XLV" "Health Care Select Sector SPDR")]
                    [(if
                      (< (rsi "XLV" {:window 10}) 30)
                      [(asset "XLV" "Health Care Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Defensive Real Estate"
                [(weight-equal
                  [(if
                    (> (current-price "VNQ") (moving-average-price "VNQ" {:window 50}))
                    [(asset "VNQ" "Vanguard Real Estate ETF")]
                    [(if
                      (< (rsi "VNQ" {:window 10}) 30)
                      [(asset "VNQ" "Vanguard Real Estate ETF")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])])])
         (group
          "Pyramid Growth"
          [(weight-equal
            [(filter
              (moving-average-return {:window 5})
              (select-top 1)
              [(group
                "Growth Technology"
                [(weight-equal
                  [(if
                    (> (current-price "XLK") (moving-average-price "XLK" {:window 20}))
                    [(asset "XLK" "Technology Select Sector SPDR")]
                    [(if
                      (< (rsi "XLK" {:window 10}) 30)
                      [(asset "XLK" "Technology Select Sector SPDR")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Growth Semiconductors"
                [(weight-equal
                  [(if
                    (> (current-price "SMH") (moving-average-price "SMH" {:window 20}))
                    [(asset "SMH" "VanEck Semiconductor ETF")]
                    [(if
                      (< (rsi "SMH" {:window 10}) 30)
                      [(asset "SMH" "VanEck Semiconductor ETF")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Growth Nasdaq"
                [(weight-equal
                  [(if
                    (> (current-price "QQQ") (moving-average-price "QQQ" {:window 30}))
                    [(asset "QQQ" "Invesco QQQ Trust")]
                    [(if
                      (< (rsi "QQQ" {:window 10}) 30)
                      [(asset "QQQ" "Invesco QQQ Trust")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])])])
         (group
          "Pyramid Global"
          [(weight-equal
            [(filter
              (stdev-return {:window 20})
              (select-bottom 1)
              [(group
                "Global Developed"
                [(weight-equal
                  [(if
                    (> (current-price "EFA") (moving-average-price "EFA" {:window 30}))
                    [(asset "EFA" "iShares MSCI EAFE ETF")]
                    [(if
                      (< (rsi "EFA" {:window 10}) 30)
                      [(asset "EFA" "iShares MSCI EAFE ETF")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Global Emerging"
                [(weight-equal
                  [(if
                    (> (current-price "EEM") (moving-average-price "EEM" {:window 30}))
                    [(asset "EEM" "iShares MSCI Emerging Markets ETF")]
                    [(if
                      (< (rsi "EEM" {:window 10}) 30)
                      [(asset "EEM" "iShares MSCI Emerging Markets ETF")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
               (group
                "Global Emerging 3x"
                [(weight-equal
                  [(if
                    (> (current-price "EDC") (moving-average-price "EDC" {:window 20}))
                    [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X")]
                    [(if
                      (< (rsi "EDC" {:window 10}) 30)
                      [(asset "EDC" "Direxion Daily MSCI Emerging Markets Bull 3X")]
                      [(asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])])])])])])
   (group
    "HLT Hedge Sleeve"
    [(weight-specified
      0.5
      (weight-inverse-volatility
       20
       [(group
         "Hedge Gold"
         [(weight-equal
           [(if
             (> (stdev-price "SPY" {:window 10}) (stdev-price "SPY" {:window 40}))
             [(asset "GLD" "SPDR Gold Shares")]
             [(weight-equal
               [(asset "GLD" "SPDR Gold Shares")
                (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
        (group
         "Hedge Long Bonds"
         [(weight-equal
           [(if
             (> (stdev-price "QQQ" {:window 10}) (stdev-price "QQQ" {:window 40}))
             [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")]
             [(weight-equal
               [(asset "TLT" "iShares 20+ Year Treasury Bond ETF")
                (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
        (group
         "Hedge Dollar"
         [(weight-equal
           [(if
             (> (stdev-price "SPY" {:window 10}) (stdev-price "SPY" {:window 40}))
             [(asset "UUP" "Invesco DB US Dollar Index Bullish Fund")]
             [(weight-equal
               [(asset "UUP" "Invesco DB US Dollar Index Bullish Fund")
                (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
        (group
         "Hedge Commodities"
         [(weight-equal
           [(if
             (> (stdev-price "XLE" {:window 10}) (stdev-price "XLE" {:window 40}))
             [(asset "DBC" "Invesco DB Commodity Index Tracking Fund")]
             [(weight-equal
               [(asset "DBC" "Invesco DB Commodity Index Tracking Fund")
                (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])
      0.5
      (weight-equal
       [(filter
         (max-drawdown {:window 25})
         (select-top 1)
         [(group
           "Crash Volatility"
           [(weight-equal
             [(if
               (> (stdev-price "SPY" {:window 10}) (stdev-price "SPY" {:window 40}))
               [(asset "VIXM" "ProShares VIX Mid-Term Futures ETF")]
               [(weight-equal
                 [(asset "VIXM" "ProShares VIX Mid-Term Futures ETF")
                  (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
          (group
           "Crash Managed Futures"
           [(weight-equal
             [(if
               (> (stdev-price "QQQ" {:window 10}) (stdev-price "QQQ" {:window 40}))
               [(asset "KMLM" "KFA Mount Lucas Managed Futures Index Strategy ETF")]
               [(weight-equal
                 [(asset "KMLM" "KFA Mount Lucas Managed Futures Index Strategy ETF")
                  (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
          (group
           "Crash Inverse Nasdaq"
           [(weight-equal
             [(if
               (> (stdev-price "QQQ" {:window 10}) (stdev-price "QQQ" {:window 40}))
               [(asset "PSQ" "ProShares Short QQQ")]
               [(weight-equal
                 [(asset "PSQ" "ProShares Short QQQ")
                  (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])
          (group
           "Crash Short Vol"
           [(weight-equal
             [(if
               (> (stdev-price "SPY" {:window 10}) (stdev-price "SPY" {:window 40}))
               [(asset "SVXY" "ProShares Short VIX Short-Term Futures ETF")]
               [(weight-equal
                 [(asset "SVXY" "ProShares Short VIX Short-Term Futures ETF")
                  (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")])])])])])
        (asset "BIL" "SPDR Bloomberg 1-3 Month T-Bill ETF")]))])]))
