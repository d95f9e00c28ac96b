(defsymphony "x" {}
 (weight-equal [(asset "SPY") (asset "QQQ")]))
