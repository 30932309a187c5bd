#!/usr/bin/env Rscript
# Reference values for core/survival.py, produced with R's survival package.
#
# Run from the repository root or from this folder:
#     Rscript tests/reference/survival/make_fixtures.R
# Writes, next to this script:
#   lung.csv        survival::lung exported (id added; status 1 = censored, 2 = dead)
#   heavy_ties.csv  synthetic data: integer times, many tied events and censorings,
#                   groups A/B/C (C has an undefined median) -- seeded
#   edge.csv        hand-made small groups: S exactly 0.5 on a flat stretch, S = 0.5 to
#                   the end, everyone dies (S reaches 0), censorings before the first
#                   event, events and censorings at the same time
#   km_curves.csv   survfit curves (every distinct time) for conf.type log, log-log, plain
#   medians.csv     median and its CI (quantile.survfit) and summary(fit)$table medians
#   summary_times.csv  summary(fit, times = ..., extend = TRUE)
#   survdiff.csv    log-rank chi-square, df, P and per-group observed / expected
#   coxph.csv       coxph(ties = "efron") coefficients, HR, 95% CI, Wald P
# Every number is printed with sprintf('%.15g'); NA stays NA.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
write_fixture <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}

# ---------------------------------------------------------------- data sets
lung_df <- survival::lung
lung_df$id <- seq_len(nrow(lung_df))
lung_df <- lung_df[, c("id", setdiff(names(lung_df), "id"))]
write_fixture(lung_df, "lung.csv")
lung_df$event <- as.integer(lung_df$status == 2)
lung_df$agegrp <- cut(lung_df$age, c(-Inf, 60, 70, Inf), right = FALSE,
                      labels = c("lt60", "60to69", "ge70"))
lung_df$agegrp <- as.character(lung_df$agegrp)
lung_df$sexlab <- ifelse(lung_df$sex == 1, "male", "female")

set.seed(20240501)
mk <- function(g, n, tmax, p) data.frame(
  id = paste0(g, seq_len(n)), group = g,
  time = sample(0:tmax, n, replace = TRUE),
  event = rbinom(n, 1, p))
heavy <- rbind(mk("A", 80, 12, 0.7), mk("B", 60, 12, 0.4), mk("C", 50, 15, 0.12))
heavy$age <- round(rnorm(nrow(heavy), 60, 10), 1)
write_fixture(heavy, "heavy_ties.csv")

edge <- rbind(
  data.frame(group = "flat_half",   time = c(1, 2, 3, 4, 5, 6),     event = c(1, 1, 1, 0, 1, 0)),
  data.frame(group = "half_to_end", time = c(1, 2, 3, 4),           event = c(1, 1, 0, 0)),
  data.frame(group = "all_die",     time = c(1, 1, 2, 3),           event = c(1, 1, 1, 1)),
  data.frame(group = "censor_first", time = c(1, 1, 2, 3, 3, 4, 5), event = c(0, 0, 1, 1, 0, 1, 0)),
  data.frame(group = "tied_mix",    time = c(2, 2, 2, 2, 3, 5, 5, 5, 7, 8),
             event = c(1, 1, 0, 0, 1, 1, 0, 0, 1, 0)),
  data.frame(group = "no_event",    time = c(1, 2, 3),              event = c(0, 0, 0))
)
edge$id <- paste0("e", seq_len(nrow(edge)))
write_fixture(edge[, c("id", "group", "time", "event")], "edge.csv")

# ---------------------------------------------------------------- helpers
# (dataset, grouping, data frame, grouping column or NA for a single curve)
specs <- list(
  list("lung", "all", lung_df, NA),
  list("lung", "sex", lung_df, "sexlab"),
  list("lung", "ph.ecog", lung_df[!is.na(lung_df$ph.ecog), ], "ph.ecog"),
  list("lung", "agegrp", lung_df, "agegrp"),
  list("heavy", "all", heavy, NA),
  list("heavy", "group", heavy, "group"),
  list("edge", "group", edge, "group")
)
tick_times <- list(lung = c(0, 100, 200, 365, 500, 730, 1000, 1100),
                   heavy = c(0, 1, 3, 5, 6, 10, 12, 15, 20),
                   edge = c(0, 1, 2, 2.5, 3, 5, 8, 10))

curves <- list(); meds <- list(); sums <- list(); diffs <- list()
for (sp in specs) {
  dsn <- sp[[1]]; grp <- sp[[2]]; d <- sp[[3]]; col <- sp[[4]]
  labels <- if (is.na(col)) rep("all", nrow(d)) else as.character(d[[col]])
  for (g in sort(unique(labels))) {
    dg <- d[labels == g, ]
    for (ct in c("log", "log-log", "plain")) {
      fit <- survfit(Surv(time, event) ~ 1, data = dg, conf.type = ct)
      curves[[length(curves) + 1]] <- data.frame(
        dataset = dsn, grouping = grp, group = g, conf_type = ct,
        time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
        n_censor = fit$n.censor, surv = fit$surv, std_err = fit$std.err,
        lower = fit$lower, upper = fit$upper)
      q <- quantile(fit, probs = 0.5)
      tab <- summary(fit)$table
      meds[[length(meds) + 1]] <- data.frame(
        dataset = dsn, grouping = grp, group = g, conf_type = ct,
        n = nrow(dg), events = sum(dg$event),
        median = unname(q$quantile), median_lower = unname(q$lower),
        median_upper = unname(q$upper),
        table_median = unname(tab["median"]),
        table_lower = unname(tab["0.95LCL"]), table_upper = unname(tab["0.95UCL"]))
      tt <- tick_times[[dsn]]
      s <- summary(fit, times = tt, extend = TRUE)
      sums[[length(sums) + 1]] <- data.frame(
        dataset = dsn, grouping = grp, group = g, conf_type = ct,
        time = s$time, n_risk = s$n.risk, n_event = s$n.event,
        cum_events = cumsum(s$n.event), surv = s$surv,
        lower = s$lower, upper = s$upper)
    }
  }
  if (!is.na(col) && length(unique(labels)) > 1) {
    d$lab <- labels
    sd <- survdiff(Surv(time, event) ~ lab, data = d)
    df <- length(sd$n) - 1
    diffs[[length(diffs) + 1]] <- data.frame(
      dataset = dsn, grouping = grp, group = sub("^lab=", "", names(sd$n)),
      n = as.numeric(sd$n), observed = sd$obs, expected = sd$exp,
      chi2 = sd$chisq, df = df, p_value = pchisq(sd$chisq, df, lower.tail = FALSE))
  }
}
write_fixture(do.call(rbind, curves), "km_curves.csv")
write_fixture(do.call(rbind, meds), "medians.csv")
write_fixture(do.call(rbind, sums), "summary_times.csv")
write_fixture(do.call(rbind, diffs), "survdiff.csv")

# Pairwise log-rank (two groups at a time), BH-adjusted, for the 3+-group factors.
pw <- list()
for (sp in specs) {
  dsn <- sp[[1]]; grp <- sp[[2]]; d <- sp[[3]]; col <- sp[[4]]
  if (is.na(col) || dsn == "edge") next
  labels <- as.character(d[[col]])
  lv <- sort(unique(labels))
  if (length(lv) < 3) next
  rows <- list()
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
    keep <- labels %in% c(lv[i], lv[j])
    dd <- d[keep, ]; dd$lab <- labels[keep]
    sd <- survdiff(Surv(time, event) ~ lab, data = dd)
    rows[[length(rows) + 1]] <- data.frame(
      dataset = dsn, grouping = grp, group1 = lv[i], group2 = lv[j],
      chi2 = sd$chisq, p_value = pchisq(sd$chisq, 1, lower.tail = FALSE))
  }
  r <- do.call(rbind, rows)
  r$p_adjusted <- p.adjust(r$p_value, method = "BH")
  pw[[length(pw) + 1]] <- r
}
write_fixture(do.call(rbind, pw), "pairwise.csv")

# ---------------------------------------------------------------- Cox (Efron)
cox_rows <- list()
add_cox <- function(dsn, model, fit) {
  s <- summary(fit)
  co <- s$coefficients; ci <- s$conf.int
  cox_rows[[length(cox_rows) + 1]] <<- data.frame(
    dataset = dsn, model = model, term = rownames(co),
    coef = co[, "coef"], se = co[, "se(coef)"], hr = co[, "exp(coef)"],
    ci_low = ci[, "lower .95"], ci_high = ci[, "upper .95"],
    p_value = co[, "Pr(>|z|)"], n = fit$n, nevent = fit$nevent)
}
lc <- lung_df
lc$sexlab <- factor(lc$sexlab, levels = c("male", "female"))
lc$agegrp <- factor(lc$agegrp, levels = c("lt60", "60to69", "ge70"))
add_cox("lung", "sex", coxph(Surv(time, event) ~ sexlab, data = lc, ties = "efron"))
add_cox("lung", "sex+age", coxph(Surv(time, event) ~ sexlab + age, data = lc, ties = "efron"))
add_cox("lung", "agegrp", coxph(Surv(time, event) ~ agegrp, data = lc, ties = "efron"))
hc <- heavy
hc$group <- factor(hc$group, levels = c("A", "B", "C"))
add_cox("heavy", "group", coxph(Surv(time, event) ~ group, data = hc, ties = "efron"))
add_cox("heavy", "group+age", coxph(Surv(time, event) ~ group + age, data = hc, ties = "efron"))
hab <- droplevels(hc[hc$group %in% c("A", "B"), ])
add_cox("heavy", "AvsB", coxph(Surv(time, event) ~ group, data = hab, ties = "efron"))
write_fixture(do.call(rbind, cox_rows), "coxph.csv")

writeLines(c(paste("R", getRversion()), paste("survival", packageVersion("survival"))),
           file.path(out_dir, "versions.txt"))
cat("fixtures written to", out_dir, "\n")
