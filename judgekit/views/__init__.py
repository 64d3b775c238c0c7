"""The presentation layer: leaderboards (build and render), the HTML report, the validate gate, and the
formatting of numbers and intervals that they and the terminal share."""
